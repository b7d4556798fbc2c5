"""Does anything move in a camera's picture? A frame where nothing moved and no face is followed
needs no face detector: most frames of a doorway camera are of an empty doorway. Plain Python,
no Django; one MotionGate per camera, in the process that owns the camera.

The measure: the frame as a small blurred grey picture, compared with the picture of the last
frame the detector ran on; a frame moved when enough of its pixels differ by enough grey levels.
A frame like that one would give the detector what it gave then, so it is not asked again. Against
the last detected frame, not the previous frame: a slow change adds up until it counts, and a
person who left leaves no ghost. A light switched on counts as motion once, which only costs a
detector pass."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class MotionSettings:
    width: int = 64  # the small picture's width (its height keeps the frame's shape)
    # A pixel of the small picture moved when it differs from the last detected frame's by over
    # `level` grey levels (0-255), and the frame moved when over `share` of them did. Measured on
    # bench/walkby.py's frames with sensor noise (sigma 10) and JPEG q70: an empty doorway 0 %, a
    # walker's frame 2 % or more, a figure 20x60 px moving 8 px a frame 0.7 %.
    level: float = 8.0
    share: float = 0.002


class MotionGate:
    """One camera's motion measure: `moved(frame)` for each frame, in order, and `detected()`
    after each frame that went to the detector."""

    def __init__(self, settings: MotionSettings | None = None):
        self.settings = settings or MotionSettings()
        self._reference: np.ndarray | None = None  # the last detected frame's small picture
        self._measured: np.ndarray | None = None  # the last measured frame's
        self.last_share = 0.0  # the share of pixels that moved in the last frame (for benches and logs)

    def _small(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        size = (self.settings.width, max(1, round(height * self.settings.width / width)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        return cv2.GaussianBlur(grey, (3, 3), 0).astype(np.float32)

    def moved(self, image: np.ndarray) -> bool:
        """True when the frame differs from the last detected one (always before the first, and
        for a frame of another shape: another stream)."""
        small, reference = self._small(image), self._reference
        self._measured = small
        if reference is None or reference.shape != small.shape:
            self.last_share = 1.0
        else:
            self.last_share = float((np.abs(small - reference) > self.settings.level).mean())
        return self.last_share > self.settings.share

    def detected(self) -> None:
        """The frame just measured went to the detector: later frames are compared with it."""
        self._reference = self._measured
