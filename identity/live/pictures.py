"""Small thumbnails that tell at once when a camera's picture, or a face in it, changed: a
frame unlike the last one is a picture cut (another shot, a PTZ preset, a stream that started
again), a face whose pixels changed at once may be someone else. Plain Python, no Django; the
thresholds are the tracker's (TrackSettings.cut_level and cut_share, face_change)."""

from __future__ import annotations

import cv2
import numpy as np


def picture_thumbnail(image: np.ndarray) -> np.ndarray:
    """A frame as a grey 32x24 thumbnail, its median taken off: a brighter picture is the same
    picture, and a bright face stepping in does not move the rest of it."""
    small = cv2.resize(image, (32, 24), interpolation=cv2.INTER_AREA)
    grey = (cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small).astype(np.float32)
    return grey - float(np.median(grey))


def picture_change(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two picture (or face) thumbnails."""
    return float(np.abs(a - b).mean())


def picture_changed_share(a: np.ndarray, b: np.ndarray, *, level: float) -> float:
    """The share of two thumbnails' pixels that differ by more than `level`: near 1 for another
    scene, small for a person stepping in or out (a part of the picture)."""
    return float((np.abs(a - b) > level).mean())


def face_thumbnail(image: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """A face's box as a grey 16x16 thumbnail, mean off and unit spread; None when the box is off the frame."""
    height, width = image.shape[:2]
    x1, y1 = max(int(box[0]), 0), max(int(box[1]), 0)
    x2, y2 = min(int(np.ceil(box[2])), width), min(int(np.ceil(box[3])), height)
    if x2 - x1 < 2 or y2 - y1 < 2:
        return None
    small = cv2.resize(image[y1:y2, x1:x2], (16, 16), interpolation=cv2.INTER_AREA)
    grey = (cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small).astype(np.float32)
    grey -= grey.mean()
    return grey / max(float(grey.std()), 1.0)
