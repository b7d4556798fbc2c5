"""bench/lfw_faces.py: LFW's subject found in every photo, even where the detector misses it."""

from pathlib import Path

import numpy as np
import pytest

from bench.lfw_faces import central_order, lfw_faces
from identity.vision import Detection, EngineConfig, FaceEngine
from identity.vision.image import decode_image

FIXTURES = Path(__file__).parent / "fixtures"
A1, A2 = FIXTURES / "lfw_person_a_1.jpg", FIXTURES / "lfw_person_a_2.jpg"
GROUP = FIXTURES / "bbt_group.jpg"  # five people, all facing the camera (counted by eye)


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


def _detection(x1, y1, x2, y2) -> Detection:
    return Detection(box=np.array([x1, y1, x2, y2], np.float32), keypoints=np.zeros((5, 2), np.float32), score=0.9)


def test_it_takes_the_image_centre_where_nothing_is_detected(engine):
    ramp = np.tile(np.linspace(0, 255, 200, dtype=np.uint8)[None, :, None], (200, 1, 3))
    (subject,) = lfw_faces(engine, [ramp])
    assert subject.fallback_reason == "centre"
    assert subject.face.score == 0.0 and subject.face.embedding.shape == (512,)


def test_it_finds_a_face_that_fills_the_frame(engine):
    tight = np.ascontiguousarray(decode_image(A1)[70:200, 75:175])  # the face and nothing else
    (subject,) = lfw_faces(engine, [tight])
    assert subject.fallback_reason in (None, "low-threshold", "padded")
    assert engine.compare(subject.face.embedding, engine.analyze(A2)[0].embedding) > engine.config.threshold


def test_it_detects_a_plain_photo_without_a_fallback(engine):
    (subject,) = lfw_faces(engine, [A1])
    assert subject.fallback_reason is None
    assert np.allclose(subject.face.embedding, engine.analyze(A1)[0].embedding, atol=1e-5)


def test_it_prefers_the_centred_subject_over_a_larger_bystander():
    subject, bystander = _detection(80, 70, 170, 180), _detection(170, 40, 250, 200)  # the bystander, at the edge
    assert bystander.area > subject.area
    assert central_order([bystander, subject], 250, 250)[0] is subject


def test_it_puts_the_central_face_of_a_group_first(engine):
    (subject,) = lfw_faces(engine, [GROUP], central_first=True)
    h, w = decode_image(GROUP).shape[:2]
    centres = [abs((f.box[0] + f.box[2]) / 2 - w / 2) for f in engine.analyze(GROUP)]
    assert abs((subject.face.box[0] + subject.face.box[2]) / 2 - w / 2) == pytest.approx(min(centres))  # the middle
