"""Quality measured on the face inside the aligned crop, on real photos with the real models:
sharpness that ignores alignment's black fill, brightness and its reasons."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity.vision import EngineConfig, Face, FaceEngine
from identity.vision.align import alignment_matrix, crop_mask
from identity.vision.quality import ENROLMENT_LIMITS, FaceQuality, blur_variance, measure_quality, quality_problem

FIXTURES = Path(__file__).parent / "fixtures"
LFW_PHOTOS = ["lfw_person_a_1.jpg", "lfw_person_a_2.jpg", "lfw_person_b_1.jpg"]
SIDES = ["left", "right", "top", "bottom"]


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))


def photo(name: str) -> np.ndarray:
    return cv2.imread(str(FIXTURES / name), cv2.IMREAD_COLOR)


def only_face(engine: FaceEngine, image: np.ndarray) -> Face:
    (face,) = engine.analyze(image)
    return face


def cut_at(image: np.ndarray, face: Face, side: str) -> np.ndarray:
    """The photo cut 0.4 eye distances beyond the face's outermost keypoint on one side: the
    aligned crop then reaches past the photo's edge (black fill) there."""
    kps, reach = face.keypoints, 0.4 * float(np.linalg.norm(face.keypoints[1] - face.keypoints[0]))
    cuts = {
        "left": lambda: image[:, int(kps[:, 0].min() - reach):],
        "right": lambda: image[:, :int(kps[:, 0].max() + reach)],
        "top": lambda: image[int(kps[:, 1].min() - reach):],
        "bottom": lambda: image[:int(kps[:, 1].max() + reach)],
    }
    return np.ascontiguousarray(cuts[side]())


def scaled(image: np.ndarray, gain: float) -> np.ndarray:
    return np.clip(image.astype(np.float64) * gain, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("side", SIDES)
def test_it_measures_the_same_sharpness_on_a_face_cut_at_the_photos_edge(engine, side):
    image = photo("lfw_person_a_1.jpg")
    whole = only_face(engine, image)
    cut_image = cut_at(image, whole, side)
    cut = only_face(engine, cut_image)
    assert (~crop_mask(cut_image.shape, cut.keypoints)).mean() > 0.05  # the crop has a black border
    assert abs(cut.quality.blur - whole.quality.blur) < 0.15 * whole.quality.blur
    assert blur_variance(cut.crop) > 2 * whole.quality.blur  # the whole crop counts the border's edge


@pytest.mark.parametrize("side", SIDES)
def test_it_finds_the_black_fill_in_the_crop_when_no_mask_is_given(engine, side):
    image = photo("lfw_person_a_1.jpg")
    cut = only_face(engine, cut_at(image, only_face(engine, image), side))
    guessed = measure_quality(cut.box, cut.keypoints, cut.score, cut.crop)
    assert abs(guessed.blur - cut.quality.blur) < 0.02 * cut.quality.blur
    assert abs(guessed.brightness - cut.quality.brightness) < 1


def test_it_marks_the_crop_pixels_that_came_from_the_photo(engine):
    image = photo("lfw_person_a_1.jpg")
    cut_image = cut_at(image, only_face(engine, image), "left")
    keypoints = only_face(engine, cut_image).keypoints
    ones = np.full(cut_image.shape[:2], 255, np.uint8)
    warped = cv2.warpAffine(ones, alignment_matrix(keypoints), (112, 112), borderValue=0)
    mask = crop_mask(cut_image.shape, keypoints)
    assert 0.05 < (~mask).mean() < 0.5
    assert (mask == (warped == 255)).mean() > 0.99  # a ones-image warped the same way, but cheaper


@pytest.mark.parametrize("name", LFW_PHOTOS)
def test_it_accepts_the_fixture_portraits(engine, name):
    assert quality_problem(only_face(engine, photo(name)).quality, ENROLMENT_LIMITS) is None


def test_it_measures_every_fixture_face_within_the_brightness_limits(engine):
    faces = [face for name in [*LFW_PHOTOS, "bbt_group.jpg"] for face in engine.analyze(photo(name))]
    assert len(faces) == 8
    brightness = [face.quality.brightness for face in faces]
    assert ENROLMENT_LIMITS.min_brightness < min(brightness) and max(brightness) < ENROLMENT_LIMITS.max_brightness


@pytest.mark.parametrize("name", LFW_PHOTOS)
def test_it_calls_a_darkened_face_too_dark(engine, name):
    dark = only_face(engine, scaled(photo(name), 0.25)).quality
    assert quality_problem(dark, ENROLMENT_LIMITS) == (
        f"the face is too dark (brightness {dark.brightness:.0f}, needs 40): use a better-lit photo")


@pytest.mark.parametrize("name", LFW_PHOTOS)
def test_it_calls_a_brightened_face_overexposed(engine, name):
    bright = only_face(engine, scaled(photo(name), 2.0)).quality
    assert quality_problem(bright, ENROLMENT_LIMITS) == (
        f"the face is too bright (brightness {bright.brightness:.0f}, at most 210): avoid direct light and flash")


def test_it_keeps_brightness_in_the_stored_quality(engine):
    stored = only_face(engine, photo("lfw_person_a_1.jpg")).quality.as_dict()
    assert set(stored) == {"score", "size_px", "interocular_px", "blur", "yaw_deg", "brightness"}
    assert 100 < stored["brightness"] < 160


def _measured(**changes) -> FaceQuality:
    good = {"score": 0.9, "size_px": 120, "interocular_px": 50, "blur": 150, "yaw_deg": 5, "brightness": 120}
    return FaceQuality(**{**good, **changes})


def test_it_says_a_blurry_face_is_too_blurry_with_its_sharpness_and_the_limit():
    assert quality_problem(_measured(blur=12), ENROLMENT_LIMITS) == (
        "the face is too blurry (sharpness 12, needs 30): hold still or use a sharper photo")


def test_it_says_an_unclear_face_is_not_clear_enough_with_the_certainty_and_the_limit():
    assert quality_problem(_measured(score=0.41), ENROLMENT_LIMITS) == (
        "the face is not clear enough to be sure it is a face (certainty 0.41, needs 0.60): "
        "use a clearer photo of the face")
