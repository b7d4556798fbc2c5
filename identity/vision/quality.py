"""Per-face quality signals and a human-readable gate for enrolment photos.

Sharpness and brightness are measured on the face inside the aligned crop: the central
region of the ArcFace template, and only on pixels that came from the photo, never on the
black fill that alignment adds where a face reaches past the photo's edges."""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .align import ARCFACE_DST, CROP_SIZE

FACE_MARGIN = 10.0  # template pixels (of 112) the face region reaches beyond the keypoints
FILL_EROSION = 3  # pixels kept off the fill's edge: its interpolated rim and the Laplacian's reach


@dataclass(frozen=True)
class FaceQuality:
    """How usable one detected face is.

    score: detector confidence (0..1).
    size_px: smaller side of the face box, in original image pixels.
    interocular_px: distance between the eye keypoints, in original image pixels.
    blur: variance of the Laplacian of the face in the aligned gray crop (higher = sharper).
    yaw_deg: rough head turn from the keypoints (0 = frontal, sign = direction).
    brightness: mean gray level (0..255) of the same face pixels.
    """

    score: float
    size_px: float
    interocular_px: float
    blur: float
    yaw_deg: float
    brightness: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class EnrolmentLimits:
    """What the face of an enrolment photo must reach (``quality_problem``; the enrolment pages
    list them). Brightness, measured on tests/fixtures: their faces are 118..159; the LFW portraits
    darkened below 40 drift from themselves (embedding cosine 0.93..0.95 at 30..32, 0.77..0.85 at
    12..13) though still detected; brightened past 210, 11..35 % of the face clips white (at most
    8 % up to 208) and the cosine falls to 0.84..0.95."""

    min_score: float = 0.6
    min_size: float = 64.0
    max_yaw: float = 35.0
    min_brightness: float = 40.0
    max_brightness: float = 210.0
    min_blur: float = 30.0


ENROLMENT_LIMITS = EnrolmentLimits()


@functools.lru_cache(maxsize=4)
def face_region(size: int = CROP_SIZE) -> np.ndarray:
    """(size, size) bool: the face in an aligned crop, an ellipse around the template's eyes,
    nose and mouth reaching ``FACE_MARGIN`` beyond them (no hair, background or neck)."""
    points = ARCFACE_DST * (size / CROP_SIZE)
    centre = points.mean(axis=0)
    half = np.abs(points - centre).max(axis=0) + FACE_MARGIN * size / CROP_SIZE
    ys, xs = np.mgrid[0:size, 0:size]
    region = ((xs - centre[0]) / half[0]) ** 2 + ((ys - centre[1]) / half[1]) ** 2 <= 1
    region.flags.writeable = False  # shared by every call (cached)
    return region


def fill_mask(gray: np.ndarray) -> np.ndarray:
    """Exact-black pixels connected to the crop's edge: alignment's fill, for a crop whose
    ``crop_mask`` is not known."""
    _, labels = cv2.connectedComponents((gray == 0).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, edge[edge > 0])


def face_pixels(gray: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Bool mask of the face pixels to measure: the face region, less the fill and a rim of
    ``FILL_EROSION`` pixels along it. ``valid``: ``align.crop_mask`` (None: guessed from the crop)."""
    photo = ~fill_mask(gray) if valid is None else np.asarray(valid, dtype=bool)
    kernel = np.ones((2 * FILL_EROSION + 1,) * 2, np.uint8)
    inside = cv2.erode(photo.astype(np.uint8), kernel) > 0  # past the crop's own edge counts as photo
    return inside & face_region(gray.shape[0])


def _gray(crop: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop


def blur_variance(crop: np.ndarray, pixels: np.ndarray | None = None) -> float:
    """Laplacian variance of a BGR or gray crop over ``pixels`` (a bool mask; None: all of it):
    low values mean a blurred face."""
    laplacian = cv2.Laplacian(_gray(crop), cv2.CV_64F)
    values = laplacian if pixels is None else laplacian[pixels]
    return float(values.var()) if values.size else 0.0  # no face pixel came from the photo: nothing sharp


def brightness(crop: np.ndarray, pixels: np.ndarray | None = None) -> float:
    """Mean gray level (0..255) of a BGR or gray crop over ``pixels`` (None: all of it)."""
    gray = _gray(crop)
    values = gray if pixels is None else gray[pixels]
    return float(values.mean()) if values.size else 0.0  # no face pixel came from the photo: nothing lit


def estimate_yaw(keypoints: np.ndarray) -> float:
    """Rough yaw in degrees from the nose's sideways offset relative to the eyes.

    The nose tip sits about half an eye distance in front of the eyes, so its
    offset from the eyes' midpoint (along the eye line, in half eye distances)
    is roughly tan(yaw).
    """
    kps = np.asarray(keypoints, dtype=np.float64).reshape(5, 2)
    left_eye, right_eye, nose = kps[0], kps[1], kps[2]
    eye_axis = right_eye - left_eye
    half_distance = np.linalg.norm(eye_axis) / 2
    if half_distance < 1e-6:
        return 90.0
    offset = float(np.dot(nose - (left_eye + right_eye) / 2, eye_axis / (2 * half_distance)))
    return math.degrees(math.atan(offset / half_distance))


def face_size(box) -> float:
    """A face's size: the smaller side of its box x1, y1, x2, y2 (FaceQuality.size_px)."""
    return float(min(box[2] - box[0], box[3] - box[1]))


def measure_quality(
    box: np.ndarray, keypoints: np.ndarray, score: float, crop: np.ndarray, *, valid: np.ndarray | None = None
) -> FaceQuality:
    """Quality signals of one face from its box, keypoints, detector score and aligned crop.
    ``valid``: which crop pixels came from the image (``align.crop_mask``); None guesses it
    from the crop (black connected to its edge)."""
    kps = np.asarray(keypoints, dtype=np.float64).reshape(5, 2)
    gray = _gray(crop)
    pixels = face_pixels(gray, valid)
    return FaceQuality(
        score=float(score),
        size_px=face_size(box),
        interocular_px=float(np.linalg.norm(kps[1] - kps[0])),
        blur=blur_variance(gray, pixels),
        yaw_deg=estimate_yaw(kps),
        brightness=brightness(gray, pixels),
    )


def quality_problem(quality: FaceQuality, limits: EnrolmentLimits = ENROLMENT_LIMITS) -> str | None:
    """Why this face should not be enrolled, in plain words with the figure kept in brackets for
    the curious ("too blurry (sharpness 12, needs 30)"), or None when it is good enough."""
    if quality.score < limits.min_score:
        return (f"the face is not clear enough to be sure it is a face (certainty {quality.score:.2f}, "
                f"needs {limits.min_score:.2f}): use a clearer photo of the face")
    if quality.size_px < limits.min_size:
        return (f"the face is too small ({quality.size_px:.0f} pixels, needs {limits.min_size:.0f}): "
                "move closer or use a larger photo")
    if abs(quality.yaw_deg) > limits.max_yaw:
        return (f"the face is turned away ({abs(quality.yaw_deg):.0f}°, at most {limits.max_yaw:.0f}°): "
                "look straight at the camera")
    # Before sharpness: a dark face has little contrast, so it would read as blurred too.
    if quality.brightness < limits.min_brightness:
        return (f"the face is too dark (brightness {quality.brightness:.0f}, needs {limits.min_brightness:.0f}): "
                "use a better-lit photo")
    if quality.brightness > limits.max_brightness:
        return (f"the face is too bright (brightness {quality.brightness:.0f}, at most "
                f"{limits.max_brightness:.0f}): avoid direct light and flash")
    if quality.blur < limits.min_blur:
        return (f"the face is too blurry (sharpness {quality.blur:.0f}, needs {limits.min_blur:.0f}): "
                "hold still or use a sharper photo")
    return None


@dataclass(frozen=True)
class CompareLimits:
    """Beyond these a face limits how sure a close comparison can be: on LFW (``bench/compare_limits.py``)
    each alone lowered a face's similarity to its own person's other photos by more than half the
    close band (0.035 of 0.07), enough to carry a close answer across the threshold: a face shrunk
    to 24 px by 0.077 (32 px: 0.033), blurred to sharpness 20..30 by 0.047 (30..45: 0.027), turned
    30..45° by 0.064 (20..30°: 0.018; only 12 such LFW photos)."""

    min_size: float = 32.0
    max_yaw: float = 30.0
    min_blur: float = 30.0


COMPARE_LIMITS = CompareLimits()


def comparison_limits(quality: FaceQuality, limits: CompareLimits = COMPARE_LIMITS) -> list[str]:
    """What about this face limits a comparison, in words (empty: none of size, turn, sharpness)."""
    found = []
    if quality.size_px < limits.min_size:
        found.append(f"the face is small ({quality.size_px:.0f} pixels, under {limits.min_size:.0f})")
    if abs(quality.yaw_deg) > limits.max_yaw:
        found.append(f"the face is turned away ({abs(quality.yaw_deg):.0f}°, over {limits.max_yaw:.0f}°)")
    if quality.blur < limits.min_blur:
        found.append(f"the face is blurry (sharpness {quality.blur:.0f}, under {limits.min_blur:.0f})")
    return found
