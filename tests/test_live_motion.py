"""The motion gate on real frames with the real models (identity.live.motion, no Django): an
empty doorway with camera noise skips the face detector, a person walking in is detected at
once, a slow change adds up, a face in view is detected while it stands still, and a track
ends on frames the detector skipped."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from identity.live.motion import MotionGate, MotionSettings
from identity.live.pipeline import CameraPipeline
from identity.live.recognizer import Recognizer
from identity.live.track import TrackSettings
from identity.matching import Gallery
from identity.vision import EngineConfig, FaceEngine
from tests import faces_data, live_data

AARON, AARON_AGAIN = "lfw_person_a_1.jpg", "lfw_person_a_2.jpg"
FRAME_SECONDS = 0.2


def camera_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What a camera adds to every frame: sensor noise, then its JPEG."""
    noisy = np.clip(image.astype(np.float32) + rng.normal(0, 10, image.shape), 0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 70])[1], cv2.IMREAD_COLOR)


def empty_doorway(count: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [camera_noise(live_data.scene(None), rng) for _ in range(count)]


def walking_in(count: int, rng: np.random.Generator) -> list[np.ndarray]:
    return [camera_noise(live_data.scene(AARON_AGAIN, x=120 + 12 * index), rng) for index in range(count)]


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


@pytest.fixture
def door(engine):
    aaron = engine.analyze(faces_data.bgr(AARON))[0].embedding
    recognizer = Recognizer(gallery=Gallery(aaron[None], [1]), new_stranger=lambda: "S-1")
    return CameraPipeline(engine=engine, recognizer=recognizer, settings=TrackSettings(), motion=MotionSettings())


def gated(gate: MotionGate, image: np.ndarray) -> bool:
    """The gate as the pipeline uses it: a frame that moved goes to the detector."""
    moved = gate.moved(image)
    if moved:
        gate.detected()
    return moved


def play(pipeline: CameraPipeline, images: list[np.ndarray], start: int = 0):
    return [pipeline.process(image, now=(start + index) * FRAME_SECONDS) for index, image in enumerate(images)]


def test_it_sees_no_motion_in_an_empty_doorway_with_camera_noise():
    gate, rng = MotionGate(), np.random.default_rng(0)
    moved = [gated(gate, image) for image in empty_doorway(30, rng)]

    assert moved == [True] + [False] * 29


def test_it_sees_a_person_walking_in_at_once():
    gate, rng = MotionGate(), np.random.default_rng(1)
    for image in empty_doorway(20, rng):
        gated(gate, image)

    assert all(gated(gate, image) for image in walking_in(5, rng))


def test_it_adds_up_a_change_too_slow_to_see_from_one_frame_to_the_next():
    # The light rising 2 grey levels a frame: never enough from one frame to the next.
    frames = [cv2.add(live_data.scene(None), np.full((480, 640, 3), 2 * index, np.uint8)) for index in range(12)]
    for earlier, later in zip(frames, frames[1:]):
        step = MotionGate()
        gated(step, earlier)
        assert not step.moved(later)

    gate = MotionGate()
    moved = [gated(gate, image) for image in frames]
    assert moved[0] and any(moved[1:])  # but it adds up against the last detected frame


def test_it_sees_the_picture_change_shape_as_motion():
    gate = MotionGate()
    for _ in range(3):
        gated(gate, live_data.scene(None))

    assert gate.moved(cv2.resize(live_data.scene(None), (640, 360)))  # 4:3 to 16:9: another stream


def test_it_skips_the_detector_on_an_empty_doorway_and_detects_who_walks_in(door):
    rng = np.random.default_rng(2)
    empty = play(door, empty_doorway(12, rng))
    walk = play(door, walking_in(6, rng), start=12)

    assert [r.detected for r in empty] == [True] + [False] * 11
    assert all(r.detected and len(r.views) == 1 for r in walk)
    track = walk[-1].views[0][0]
    assert track.identity is not None and track.identity.person_id == 1


def test_it_follows_a_face_that_stands_still(door):
    rng = np.random.default_rng(3)
    play(door, walking_in(3, rng))
    standing = live_data.scene(AARON_AGAIN, x=144)
    still = play(door, [camera_noise(standing, rng) for _ in range(15)], start=3)

    assert all(r.detected and len(r.views) == 1 for r in still)  # nothing moves, but a face is followed
    assert len({r.views[0][0].track_id for r in still}) == 1


def test_it_ends_a_track_on_frames_the_detector_skipped(door):
    rng = np.random.default_rng(4)
    walk = play(door, walking_in(4, rng))
    track = walk[-1].views[0][0]
    after = play(door, empty_doorway(30, rng), start=4)  # 6 s: past the track's 3 s timeout

    ended = [r for r in after if track in r.ended]
    assert len(ended) == 1 and not ended[0].detected
    assert track.identity is not None and track.identity.person_id == 1


def test_it_detects_every_frame_without_a_gate(engine):
    pipeline = CameraPipeline(engine=engine, recognizer=Recognizer(gallery=Gallery(np.zeros((0, 512), np.float32), []),
                                                                   new_stranger=lambda: "S-1"))
    results = play(pipeline, empty_doorway(12, np.random.default_rng(5)))

    assert all(r.detected for r in results)
