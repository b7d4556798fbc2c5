"""Adaptive flip mode on real photos with the real models: a face is mirrored only where a
decision (1:1 verification, 1:N identification, live tracks, enrolment's duplicate check) lies
within the band around its threshold, and is then decided on flip embeddings."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from identity.live.pipeline import CameraPipeline
from identity.live.recognizer import Recognizer, Thresholds
from identity.matching import Gallery, decision_close, refine_face_matches
from identity.vision import EngineConfig, FaceEngine
from identity.vision.adaptive import DEFAULT_FLIP_BAND, near
from identity.vision.image import decode_image
from tests import live_data

FIXTURES = Path(__file__).parent / "fixtures"
A1, A2, B1 = FIXTURES / "lfw_person_a_1.jpg", FIXTURES / "lfw_person_a_2.jpg", FIXTURES / "lfw_person_b_1.jpg"
GROUP = FIXTURES / "bbt_group.jpg"
LFW = Path(__file__).resolve().parents[2] / "shared" / "faces" / "lfw"
# A View 1 (pairsDevTrain) pair whose plain similarity, 0.24, lies inside the default band.
CLOSE_PAIR = ("Susan_Sarandon/Susan_Sarandon_0004.jpg", "Susan_Sarandon/Susan_Sarandon_0006.jpg")


def adaptive_engine(**config) -> FaceEngine:
    return FaceEngine(EngineConfig(flip="adaptive", intra_op_threads=1, **config))


@pytest.fixture(scope="module")
def adaptive() -> FaceEngine:
    return adaptive_engine()


@pytest.fixture(scope="module")
def flip() -> FaceEngine:
    return FaceEngine(EngineConfig(flip="flip", intra_op_threads=1))


def test_it_never_mirrors_a_far_pair(adaptive):
    same, different = adaptive.verify(A1, A2), adaptive.verify(A1, B1)
    assert same.same and not different.same
    for result in (same, different):
        assert not near(result.similarity, threshold=result.threshold, band=DEFAULT_FLIP_BAND)
        assert not result.mirrored and result.model_id == "w600k_mbf"
        # no mirrored crop went through the network
        assert result.face1.flip_embedding is None and result.face2.flip_embedding is None


def test_it_decides_a_close_pair_on_flip_embeddings_as_flip_mode_would(adaptive, flip):
    plain = adaptive.verify(A1, A2).similarity
    close = adaptive_engine(threshold=plain + DEFAULT_FLIP_BAND / 2).verify(A1, A2)
    assert close.mirrored and close.model_id == "w600k_mbf+flip"
    assert any(note.startswith(f"close to the threshold (plain similarity {plain:.3f})") for note in close.notes)
    assert close.similarity == pytest.approx(flip.verify(A1, A2).similarity, abs=1e-4)
    assert close.similarity != pytest.approx(plain, abs=1e-4)
    outside = adaptive_engine(threshold=plain + DEFAULT_FLIP_BAND + 0.01).verify(A1, A2)
    assert not outside.mirrored and outside.similarity == pytest.approx(plain, abs=1e-6)


def test_it_never_mirrors_in_plain_mode_even_when_close():
    plain = FaceEngine(EngineConfig(flip="plain", intra_op_threads=1))
    similarity = plain.verify(A1, A2).similarity
    result = FaceEngine(EngineConfig(flip="plain", threshold=similarity, intra_op_threads=1)).verify(A1, A2)
    assert not result.mirrored and result.face1.flip_embedding is None


@pytest.mark.skipif(not (LFW / "images").is_dir(), reason="../shared/faces/lfw not available")
def test_it_mirrors_a_close_lfw_pair_at_the_default_threshold(adaptive, flip):
    first, second = (LFW / "images" / name for name in CLOSE_PAIR)
    result = adaptive.verify(first, second)
    assert result.mirrored and result.same  # the same person, decided on the flip similarity
    assert result.similarity == pytest.approx(flip.verify(first, second).similarity, abs=1e-4)


def _gallery(engine: FaceEngine) -> tuple[Gallery, list]:
    """Person 1: photo A1, person 2: photo B1, persons 3-7: the group photo's faces; both embeddings each."""
    faces = [engine.analyze(A1, with_flip=True)[0], engine.analyze(B1, with_flip=True)[0],
             *engine.analyze(GROUP, with_flip=True)]
    gallery = Gallery(np.stack([f.embedding for f in faces]), list(range(1, len(faces) + 1)),
                      flip_embeddings=np.stack([f.flip_embedding for f in faces]))
    return gallery, faces


def test_it_mirrors_only_faces_close_to_the_naming_threshold(adaptive):
    gallery, _ = _gallery(adaptive)
    probes = [adaptive.analyze(A2)[0], adaptive.analyze(GROUP)[0]]  # Aaron again, an enrolled group face
    matches = gallery.search(np.stack([p.embedding for p in probes]))
    assert [m.person_id for m in matches] == [1, 3]

    far = refine_face_matches(engine=adaptive, faces=probes, matches=matches, gallery=gallery,
                              threshold=0.35, margin=0.05)
    assert far.mirrored == [] and far.matches == matches and all(p.flip_embedding is None for p in probes)

    threshold = matches[0].similarity - DEFAULT_FLIP_BAND / 2  # Aaron's decision is now close; the other is not
    assert decision_close(matches[0], threshold=threshold, margin=0.05, band=DEFAULT_FLIP_BAND)
    close = refine_face_matches(engine=adaptive, faces=probes, matches=matches, gallery=gallery,
                                threshold=threshold, margin=0.05)
    assert close.mirrored == [0] and probes[1].flip_embedding is None
    assert close.matches[1] == matches[1]
    (expected,) = gallery.search(probes[0].flip_embedding, flip=True)
    assert close.matches[0] == expected and expected.person_id == 1
    assert expected.similarity != pytest.approx(matches[0].similarity, abs=1e-4)


def test_it_leaves_identification_alone_in_plain_mode():
    plain = FaceEngine(EngineConfig(flip="plain", intra_op_threads=1))
    gallery, _ = _gallery(plain)
    probe = plain.analyze(A2)[0]
    matches = gallery.search(probe.embedding)
    refined = refine_face_matches(engine=plain, faces=[probe], matches=matches, gallery=gallery,
                                  threshold=matches[0].similarity, margin=0.05)
    assert refined.mirrored == [] and refined.matches == matches


def _walk(pipeline: CameraPipeline, *, name_threshold: float) -> None:
    for frame in range(4):
        image = decode_image(live_data.scene_jpeg("lfw_person_a_2.jpg", x=150 + 4 * frame))
        pipeline.process(image, now=frame * 0.2, name_threshold=name_threshold)


def test_it_mirrors_only_close_faces_of_live_frames(adaptive):
    gallery, _ = _gallery(adaptive)
    recognizer = lambda: Recognizer(gallery=gallery, new_stranger=lambda: "U-1", thresholds=Thresholds())  # noqa: E731
    far = CameraPipeline(engine=adaptive, recognizer=recognizer())
    _walk(far, name_threshold=0.35)
    assert far.adaptive.mirrored == 0
    (track,) = far.tracker.tracks
    assert track.identity is not None and track.identity.person_id == 1

    probe = adaptive.analyze(live_data.scene("lfw_person_a_2.jpg", x=150))[0]
    similarity = gallery.search(probe.embedding)[0].similarity
    close = CameraPipeline(engine=adaptive, recognizer=recognizer())
    _walk(close, name_threshold=similarity - DEFAULT_FLIP_BAND / 2)
    assert close.adaptive.mirrored >= 1  # each embedded frame of the face was close


@pytest.mark.django_db
def test_it_keeps_both_embeddings_and_holds_someone_already_enrolled(media_root):
    from identity.models import FaceSample, embedding_from_bytes
    from identity.services import enrolment
    from tests import faces_data

    def enrol(name: str, photo: str) -> FaceSample:
        _, (sample,) = enrolment.person_enroll(name=name, consent=True, photos=[("p.jpg", faces_data.photo(photo))])
        return enrolment.sample_process(sample_id=sample.pk)

    aaron = enrol("Aaron Peirsol", "lfw_person_a_1.jpg")
    assert (aaron.status, aaron.reason) == (FaceSample.ACCEPTED, "")
    plain, flipped = embedding_from_bytes(aaron.embedding), embedding_from_bytes(aaron.flip_embedding)
    expected = FaceEngine(EngineConfig(flip="flip", intra_op_threads=1)).analyze(A1)[0].embedding
    assert float(flipped @ expected) > 0.9999 and 0.9 < float(plain @ flipped) < 0.9999

    again = enrol("Someone Else", "lfw_person_a_2.jpg")
    assert again.status == FaceSample.HELD
    assert again.reason.startswith("already enrolled as Aaron Peirsol (similarity 0.")
    other = enrol("Another Person", "lfw_person_b_1.jpg")
    assert (other.status, other.reason) == (FaceSample.ACCEPTED, "")


@pytest.mark.django_db
def test_it_fills_missing_flip_embeddings_lazily_from_the_stored_crop(media_root, adaptive):
    from identity.models import FaceSample, embedding_from_bytes
    from identity.services import enrolment
    from identity.services import gallery_rows as gallery_service
    from tests import faces_data

    _, (sample,) = enrolment.person_enroll(name="Aaron", consent=True,
                                           photos=[("a.jpg", faces_data.photo("lfw_person_a_1.jpg"))])
    sample = enrolment.sample_process(sample_id=sample.pk)
    made_at_enrolment = embedding_from_bytes(sample.flip_embedding)
    FaceSample.objects.filter(pk=sample.pk).update(flip_embedding=None)  # as enrolled before adaptive mode

    plain_only = gallery_service.gallery_load(model_id="w600k_mbf")
    assert np.allclose(plain_only.flip_matrix, plain_only.matrix)  # the plain embedding stands in
    assert FaceSample.objects.get(pk=sample.pk).flip_embedding is None

    gallery = gallery_service.gallery_load(model_id="w600k_mbf", mirror_with=adaptive)
    filled = embedding_from_bytes(FaceSample.objects.get(pk=sample.pk).flip_embedding)
    assert float(filled @ made_at_enrolment) > 0.99  # from the JPEG crop: close to the original
    assert np.allclose(gallery.flip_matrix[0], filled, atol=1e-6)
    assert gallery_service.flip_fill(samples=FaceSample.objects.all(), engine=adaptive) == 0  # once per sample


def test_it_compares_adaptively_from_the_command():
    out = StringIO()
    call_command("compare", str(A1), str(A2), "--json", "--adaptive", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["same"] and payload["mirrored"] is False and payload["model_id"] == "w600k_mbf"
