"""What the engine answers: the faces it finds, its verdict on two photos, and "no face"."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .quality import FaceQuality


class NoFaceError(ValueError):
    """No face could be found in an image (``image``: which photo of a pair, from 1)."""

    def __init__(self, message: str, *, image: int | None = None):
        super().__init__(message)
        self.image = image


@dataclass
class Face:
    """One face found in an image (all coordinates in the original image's pixels)."""

    box: np.ndarray  # (4,) float32 x1, y1, x2, y2
    keypoints: np.ndarray  # (5, 2) float32: left eye, right eye, nose, left/right mouth corner
    score: float  # detector confidence
    embedding: np.ndarray  # (D,) float32, unit length (D = 512 for the default model)
    quality: FaceQuality
    crop: np.ndarray  # (112, 112, 3) aligned BGR uint8
    embedding_mode: str  # "plain" or "flip" (adaptive mode: "plain")
    model_id: str  # e.g. "w600k_mbf" or "w600k_mbf+flip"
    flip_embedding: np.ndarray | None = None  # (D,) the flip embedding once computed (FaceEngine.mirror)

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))


SAME, DIFFERENT, CLOSE = "same person", "different people", "too close to call"


@dataclass
class Verification:
    """Answer to "are these two photos the same person?": `verdict` is "same person", "different
    people" or "too close to call" (the similarity within the band around the threshold)."""

    similarity: float
    same: bool  # at or above the threshold (also when close: the side it falls on)
    threshold: float
    model_id: str  # the space the similarity was measured in ("+flip" when mirrored)
    notes: list[str] = field(default_factory=list)
    face1: Face | None = None
    face2: Face | None = None
    mirrored: bool = False  # adaptive mode: close to the threshold, decided on flip embeddings
    close: bool = False  # within the band of the threshold (EngineConfig.flip_band): too close to call
    band: float = 0.0
    limits: list[str] = field(default_factory=list)  # close: what about the photos limits the answer

    @property
    def verdict(self) -> str:
        return CLOSE if self.close else SAME if self.same else DIFFERENT
