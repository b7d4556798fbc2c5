"""Compare's three answers on real photos with the real models: "same person", "different people",
or "too close to call" when the similarity lies within the band around the threshold (the band
adaptive mode mirrors in), and for a close answer what about the photos limits it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from identity.vision import EngineConfig, FaceEngine
from identity.vision.quality import COMPARE_LIMITS, FaceQuality, comparison_limits
from identity.vision.types import CLOSE, DIFFERENT, SAME

FIXTURES = Path(__file__).parent / "fixtures"
WILLIAMS = FIXTURES / "williams"
VENUS1, VENUS2, VENUS3 = (WILLIAMS / f"Venus_Williams_000{n}.jpg" for n in (1, 2, 3))
SERENA3 = WILLIAMS / "Serena_Williams_0003.jpg"
A1, B1 = FIXTURES / "lfw_person_a_1.jpg", FIXTURES / "lfw_person_b_1.jpg"


@pytest.fixture(scope="module")
def engine() -> FaceEngine:
    return FaceEngine(EngineConfig(intra_op_threads=1))  # the default mode: adaptive


def _small(path: Path, size: float) -> np.ndarray:
    """The photo shrunk so that its face is about `size` px, on a grey canvas of the photo's size."""
    image = cv2.imread(str(path))
    small = cv2.resize(image, None, fx=size / 100, fy=size / 100, interpolation=cv2.INTER_AREA)  # LFW faces ~100 px
    canvas = np.full_like(image, 128)
    canvas[:small.shape[0], :small.shape[1]] = small
    return canvas


def test_it_calls_venus_against_serena_williams_too_close_to_call(engine):
    result = engine.verify(VENUS3, SERENA3)
    assert result.verdict == CLOSE and result.close
    assert abs(result.similarity - result.threshold) <= result.band == engine.config.flip_band
    assert result.mirrored  # the band is the one adaptive mode mirrors in


def test_it_names_nothing_to_blame_when_both_sisters_photos_are_good(engine):
    assert engine.verify(VENUS3, SERENA3).limits == []


def test_it_calls_two_photos_of_venus_williams_the_same_person(engine):
    result = engine.verify(VENUS1, VENUS2)
    assert result.verdict == SAME and not result.close and result.limits == []


def test_it_calls_venus_williams_and_george_w_bush_different_people(engine):
    result = engine.verify(VENUS1, B1)
    assert result.verdict == DIFFERENT and not result.close


def test_it_calls_a_pair_within_the_band_close_in_plain_mode_too():
    plain = FaceEngine(EngineConfig(flip="plain", intra_op_threads=1))
    result = plain.verify(VENUS3, SERENA3)
    assert result.verdict == CLOSE and not result.mirrored


def test_it_blames_a_small_face_for_a_close_answer(engine):
    similarity = engine.verify(A1, _small(A1, 24)).similarity
    close = FaceEngine(EngineConfig(threshold=similarity, intra_op_threads=1)).verify(A1, _small(A1, 24))
    assert close.verdict == CLOSE
    assert [limit for limit in close.limits if limit.startswith("photo 2: the face is small")]
    assert not [limit for limit in close.limits if limit.startswith("photo 1")]


def test_it_names_each_feature_below_its_limit():
    good = FaceQuality(score=0.9, size_px=120, interocular_px=50, blur=150, yaw_deg=5, brightness=120)
    assert comparison_limits(good) == []
    poor = FaceQuality(score=0.9, size_px=COMPARE_LIMITS.min_size - 1, interocular_px=10,
                       blur=COMPARE_LIMITS.min_blur - 1, yaw_deg=-(COMPARE_LIMITS.max_yaw + 5), brightness=120)
    found = comparison_limits(poor)
    assert [f.split(" (")[0] for f in found] == ["the face is small", "the face is turned away", "the face is blurry"]
