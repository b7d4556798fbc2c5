"""Faces at a distance (identity.vision.distance): a class photo's 20 px faces, lost in the
detector's usual 640 px input, are found with FACEAPP_MIN_FACE_PX's passes, each face once; by
default every face large enough to name is found; a doorway frame keeps its single pass. Real models on committed LFW photos."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity.vision import EngineConfig, FaceEngine
from identity.vision.distance import DETECTABLE_PX, detection_passes

FIXTURES = Path(__file__).parent / "fixtures"
PHOTOS = sorted([*FIXTURES.glob("lfw_*.jpg"), *(FIXTURES / "e2e").glob("*.jpg"), *(FIXTURES / "williams").glob("*.jpg")])
FACE_SHARE = 0.42  # an LFW face is about this share of its photo's width


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


def class_photo(face_px: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """A 1920x1080 photo of 16 people in two rows, faces about `face_px` wide; their centres."""
    canvas = np.full((1080, 1920, 3), 110, np.uint8)
    side = round(face_px / FACE_SHARE)
    centres = []
    for k in range(16):
        row, column = divmod(k, 8)
        x, y = 60 + column * 225, 150 + row * 390
        canvas[y:y + side, x:x + side] = cv2.resize(cv2.imread(str(PHOTOS[k % len(PHOTOS)])), (side, side),
                                                    interpolation=cv2.INTER_AREA)
        centres.append((x + side / 2, y + side / 2))
    return canvas, centres


def _found_once(detections, centres) -> list[int]:
    """How many detections hold each placed face's centre."""
    return [sum(d.box[0] <= cx <= d.box[2] and d.box[1] <= cy <= d.box[3] for d in detections) for cx, cy in centres]


def test_it_finds_every_20_px_face_of_a_class_photo_that_the_usual_pass_misses(engine):
    photo, centres = class_photo(20)

    assert engine.detect(photo, min_face_px=0) == []
    assert _found_once(engine.detect(photo, min_face_px=20), centres) == [1] * 16


def test_it_finds_by_default_every_face_large_enough_to_name(engine):
    photo, centres = class_photo(32)  # over the name size, lost by one 640 px pass

    assert engine.min_face_px == engine.min_name_px < 32  # unset: the name size
    assert _found_once(engine.detect(photo, min_face_px=0), centres).count(1) < 16
    assert _found_once(engine.detect(photo), centres) == [1] * 16


def test_it_finds_larger_faces_once_across_the_tiles(engine):
    photo, centres = class_photo(45)

    assert _found_once(engine.detect(photo, min_face_px=20), centres) == [1] * 16


def test_it_keeps_one_pass_for_a_doorway_frame(engine):
    assert len(detection_passes(640, 480, max_size=640, min_face_px=20)) == 1
    frame = np.full((480, 640, 3), 128, np.uint8)
    frame[100:300, 200:400] = cv2.resize(cv2.imread(str(PHOTOS[0])), (200, 200))

    one, many = engine.detect(frame, min_face_px=0), engine.detect(frame, min_face_px=20)

    assert len(one) == 1 and [d.box.tolist() for d in one] == [d.box.tolist() for d in many]


@pytest.mark.parametrize("width, height", [(1920, 1080), (4000, 3000), (1081, 1920)])
def test_it_covers_the_photo_with_tiles_that_overlap_by_the_largest_face_they_answer_for(width, height):
    whole, *tiles = detection_passes(width, height, max_size=640, min_face_px=20)
    assert whole.scale == 640 / max(width, height) and tiles
    largest = DETECTABLE_PX / whole.scale  # faces from this wide on the whole pass finds
    covered = np.zeros((height, width), bool)
    for tile in tiles:
        assert tile.scale * 20 >= DETECTABLE_PX
        covered[tile.y0:tile.y1, tile.x0:tile.x1] = True
    assert covered.all()
    xs = sorted({(t.x0, t.x1) for t in tiles})
    assert all(previous[1] - following[0] >= largest for previous, following in zip(xs, xs[1:]))
