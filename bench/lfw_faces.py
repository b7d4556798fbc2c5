"""LFW's faces: the one centred subject of each photo, found even where the detector misses it.

Benchmarks only. A photo in which the product finds no face is refused, never guessed; LFW's
protocol instead scores every pair, so these steps find the subject of every photo:
1. the engine's detector at its normal threshold (``FaceEngine.detect``);
2. the same at a lower threshold (``FALLBACK_SCORE_THRESHOLD``);
3. the photo padded on every side and detected at full detector resolution (a face that fills
   the frame);
4. the photo's centre, with the median keypoint layout of LFW's deep-funneled photos.
``central_first`` orders the faces by insightface's rule for photos centred on their subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from identity.vision import Detection, Face, FaceEngine
from identity.vision.image import ImageSource

FALLBACK_SCORE_THRESHOLD = 0.2
FALLBACK_PAD = 0.25  # each side, as a fraction of the image size

# Keypoints of the centre step, as fractions of the centred square crop: the median SCRFD
# keypoints over 250 LFW deep-funneled photos (one per person, every 20th).
CENTER_KEYPOINTS = np.array(
    [[0.4164, 0.4523], [0.5886, 0.4489], [0.5012, 0.5486], [0.4335, 0.6304], [0.5798, 0.6275]],
    dtype=np.float32,
)


@dataclass
class LfwFace:
    """The subject's face of one photo and the step that found it."""

    face: Face
    fallback_reason: str | None  # None (detected normally), "low-threshold", "padded" or "centre"


def lfw_faces(
    engine: FaceEngine, images: Iterable[ImageSource], *, central_first: bool = False, with_flip: bool = False
) -> list[LfwFace]:
    """The subject of each photo, every face embedded in one batched ONNX call."""
    found, reasons = [], []
    for image in images:
        bgr = engine.load_image(image)
        detections, reason = detect_with_fallback(engine, bgr)
        if central_first:
            detections = central_order(detections, bgr.shape[1], bgr.shape[0])
        found.append((bgr, detections[:1]))
        reasons.append(reason)
    faces = engine.faces(found, with_flip=with_flip)
    return [LfwFace(face=per_image[0], fallback_reason=reason) for per_image, reason in zip(faces, reasons)]


def detect_with_fallback(engine: FaceEngine, bgr: np.ndarray) -> tuple[list[Detection], str | None]:
    """Detections largest first (never empty) and the fallback step that found them, or None."""
    found = engine.detect(bgr)
    if found:
        return found, None
    found = engine.detect(bgr, score_threshold=FALLBACK_SCORE_THRESHOLD)
    if found:
        return found, "low-threshold"
    h, w = bgr.shape[:2]
    pad_y, pad_x = int(h * FALLBACK_PAD), int(w * FALLBACK_PAD)
    padded = np.zeros((h + 2 * pad_y, w + 2 * pad_x, 3), dtype=np.uint8)
    padded[pad_y : pad_y + h, pad_x : pad_x + w] = bgr
    size = engine.config.det_max_size
    found = engine.detector.detect(padded, score_threshold=FALLBACK_SCORE_THRESHOLD, max_size=size, min_size=size)
    if found:
        shift = np.array([pad_x, pad_y], dtype=np.float32)
        moved = [Detection(box=d.box - np.tile(shift, 2), keypoints=d.keypoints - shift, score=d.score) for d in found]
        return sorted(moved, key=lambda d: d.area, reverse=True), "padded"
    return [center_detection(bgr)], "centre"


def central_order(detections: list[Detection], width: int, height: int) -> list[Detection]:
    """Faces ordered by area minus twice the squared offset of their centre from the image centre:
    a larger bystander at the edge loses to the centred subject (insightface's rule)."""

    def weight(d: Detection) -> float:
        dx = (d.box[0] + d.box[2]) / 2 - width / 2
        dy = (d.box[1] + d.box[3]) / 2 - height / 2
        return d.area - 2.0 * float(dx * dx + dy * dy)

    return sorted(detections, key=weight, reverse=True)


def center_detection(image: np.ndarray) -> Detection:
    """A face assumed centred in the image, with LFW's median keypoint layout (score 0)."""
    h, w = image.shape[:2]
    side = float(min(h, w))
    x0, y0 = (w - side) / 2, (h - side) / 2
    keypoints = CENTER_KEYPOINTS * side + np.array([x0, y0], dtype=np.float32)
    # a box around the template's face region: the crop's 112 px span maps to about half the side
    span = side * 0.5
    cx, cy = keypoints[:, 0].mean(), keypoints[:, 1].mean()
    box = np.array([cx - span / 2, cy - span / 2, cx + span / 2, cy + span / 2], dtype=np.float32)
    return Detection(box=box, keypoints=keypoints.astype(np.float32), score=0.0)
