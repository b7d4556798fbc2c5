"""Detection sized to the camera (FaceEngine.detect_frame): a frame's one detector pass is no larger
than finding the camera's smallest face needs; a doorway's near face is found at a fraction of the
usual input, a far face smaller than asked for is not looked for. Real models on committed photos."""

import pytest

from identity.vision import EngineConfig, FaceEngine
from identity.vision.distance import frame_input_side
from tests import live_data

NEAR, FAR = 300, 80  # photo sides on a 640x480 frame: faces of about 120 and 32 px


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


def test_it_sizes_the_input_to_show_the_smallest_face_sixteen_pixels_wide():
    sides = [frame_input_side(640, 480, min_face_px=px, max_size=640, min_size=160) for px in (0, 16, 28, 40, 64, 200)]

    assert sides == [640, 640, 384, 256, 160, 160]  # rounded up to 32, within [160, 640]


def test_it_never_goes_past_the_usual_input_for_a_large_frame():
    assert frame_input_side(1920, 1080, min_face_px=20, max_size=640, min_size=160) == 640


def test_it_finds_a_doorways_near_face_at_a_small_input_in_the_same_place(engine):
    frame = live_data.scene("lfw_person_a_2.jpg", side=NEAR)

    usual, small = engine.detect_frame(frame), engine.detect_frame(frame, min_face_px=120)

    assert len(usual) == len(small) == 1
    assert abs(usual[0].box - small[0].box).max() < 8  # pixels of the frame


def test_it_leaves_a_far_face_smaller_than_the_camera_asks_for(engine):
    frame = live_data.scene("lfw_person_a_2.jpg", side=FAR)

    assert len(engine.detect_frame(frame)) == 1
    assert engine.detect_frame(frame, min_face_px=120) == []
