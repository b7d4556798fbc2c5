"""Per-face quality signals and a human-readable gate for enrolment photos."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class FaceQuality:
    """How usable one detected face is.

    score: detector confidence (0..1).
    size_px: smaller side of the face box, in original image pixels.
    interocular_px: distance between the eye keypoints, in original image pixels.
    blur: variance of the Laplacian of the aligned gray crop (higher = sharper).
    yaw_deg: rough head turn from the keypoints (0 = frontal, sign = direction).
    """

    score: float
    size_px: float
    interocular_px: float
    blur: float
    yaw_deg: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in asdict(self).items()}


def blur_variance(crop: np.ndarray) -> float:
    """Laplacian variance of a BGR or gray crop: low values mean a blurred face."""
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


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


def measure_quality(box: np.ndarray, keypoints: np.ndarray, score: float, crop: np.ndarray) -> FaceQuality:
    """Quality signals of one face from its box, keypoints, detector score and aligned crop."""
    kps = np.asarray(keypoints, dtype=np.float64).reshape(5, 2)
    return FaceQuality(
        score=float(score),
        size_px=float(min(box[2] - box[0], box[3] - box[1])),
        interocular_px=float(np.linalg.norm(kps[1] - kps[0])),
        blur=blur_variance(crop),
        yaw_deg=estimate_yaw(kps),
    )


def quality_problem(
    quality: FaceQuality,
    *,
    min_size: float = 64.0,
    min_blur: float = 30.0,
    max_yaw: float = 35.0,
    min_score: float = 0.6,
) -> str | None:
    """Why this face should not be enrolled, in words, or None when it is good enough."""
    if quality.score < min_score:
        return f"face not clearly visible (detector confidence {quality.score:.2f} < {min_score:.2f})"
    if quality.size_px < min_size:
        return f"face too small ({quality.size_px:.0f} px < {min_size:.0f} px): move closer or use a larger photo"
    if abs(quality.yaw_deg) > max_yaw:
        return f"face turned sideways (about {abs(quality.yaw_deg):.0f}°, limit {max_yaw:.0f}°): look at the camera"
    if quality.blur < min_blur:
        return f"face blurred (sharpness {quality.blur:.0f} < {min_blur:.0f})"
    return None
