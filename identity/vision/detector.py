"""Face detectors: BGR image in, boxes + scores + five keypoints out (``Detection``).

``TiledDetector`` is what they share (one pass, tiles for a photo's small faces); SCRFD (ONNX
Runtime) is here, YuNet in ``identity.vision.yunet``. SCRFD's decoding follows insightface's
(strides 8/16/32, two anchors per location, distances scaled by the stride). Everything
returned is in the original image's pixel coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import onnxruntime as ort

from .distance import INPUT_MULTIPLE, cut_by_inner_edge, detection_passes
from .registry import ModelError, ModelSpec, session_input_size

STRIDES = (8, 16, 32)
ANCHORS_PER_LOCATION = 2


@dataclass(frozen=True)
class Detection:
    """One detected face, in original image coordinates."""

    box: np.ndarray  # (4,) float32: x1, y1, x2, y2
    keypoints: np.ndarray  # (5, 2) float32: left eye, right eye, nose, left mouth, right mouth
    score: float

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))


def choose_input_size(width: int, height: int, max_size: int = 640, min_size: int = 160) -> tuple[int, int]:
    """Network input (w, h) for an image: long side rounded up to a multiple of 32 within [min, max].

    A 250x250 photo runs at 256x256 instead of 640x640; the short side keeps the
    aspect ratio (padded up to a multiple of 32), so no compute is spent on padding.
    """
    long_side = max(width, height)
    target = math.ceil(long_side / INPUT_MULTIPLE) * INPUT_MULTIPLE
    target = max(min_size, min(max_size, target))
    scale = target / long_side
    return (
        math.ceil(width * scale / INPUT_MULTIPLE) * INPUT_MULTIPLE,
        math.ceil(height * scale / INPUT_MULTIPLE) * INPUT_MULTIPLE,
    )


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression; indices of kept boxes, best first."""
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep: list[int] = []
    while order.size:
        best = int(order[0])
        keep.append(best)
        rest = order[1:]
        w = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = w * h
        iou = inter / (areas[best] + areas[rest] - inter)
        order = rest[iou <= iou_threshold]
    return keep


class TiledDetector:
    """What every detector shares: one pass over the whole image, and for a photo that asks for
    small faces, tiles too (identity.vision.distance); a subclass gives ``_detect_once``,
    ``nms_threshold`` and ``fixed_input_size`` (None: any input size works)."""

    nms_threshold: float
    fixed_input_size: tuple[int, int] | None = None

    def _detect_once(self, image: np.ndarray, *, score_threshold: float, max_size: int, min_size: int) -> list[Detection]:
        raise NotImplementedError

    def detect(
        self, image: np.ndarray, *, score_threshold: float = 0.5, max_size: int = 640, min_size: int = 160,
        min_face_px: int = 0,
    ) -> list[Detection]:
        """Faces in a BGR uint8 image, best score first, in the image's own coordinates; with
        `min_face_px`, faces that small too where the usual input would shrink them out of reach
        (identity.vision.distance: more passes, for photos, not doorway frames)."""
        height, width = image.shape[:2]
        found = self._detect_once(image, score_threshold=score_threshold, max_size=max_size, min_size=min_size)
        _, *tiles = detection_passes(width, height, max_size=max_size, min_face_px=min_face_px)
        if not tiles or self.fixed_input_size is not None:
            return found
        for region in tiles:
            side = math.ceil(region.input_long_side / INPUT_MULTIPLE) * INPUT_MULTIPLE
            tile = image[region.y0:region.y1, region.x0:region.x1]
            offset = np.array([region.x0, region.y0], np.float32)
            for d in self._detect_once(tile, score_threshold=score_threshold, max_size=side, min_size=min_size):
                box = d.box + np.tile(offset, 2)
                if not cut_by_inner_edge(box, region, width, height):
                    found.append(Detection(box=box, keypoints=d.keypoints + offset, score=d.score))
        if not found:
            return []
        keep = nms(np.stack([d.box for d in found]), np.array([d.score for d in found]), self.nms_threshold)
        return [found[i] for i in keep]


class ScrfdDetector(TiledDetector):
    """SCRFD with keypoints (9 outputs: scores, boxes, keypoints at strides 8/16/32)."""

    def __init__(self, session: ort.InferenceSession, spec: ModelSpec, *, nms_threshold: float = 0.4):
        outputs = session.get_outputs()
        if len(outputs) != 3 * len(STRIDES):
            raise ModelError(
                f"{spec.path}: expected an SCRFD detector with keypoints ({3 * len(STRIDES)} outputs), "
                f"the model has {len(outputs)} outputs"
            )
        self.session = session
        self.spec = spec
        self.nms_threshold = nms_threshold
        self.input_name = session.get_inputs()[0].name
        self.output_names = [o.name for o in outputs]
        self.fixed_input_size = session_input_size(spec, session)  # None: any size works
        self._anchor_cache: dict[tuple[int, int, int], np.ndarray] = {}

    def _anchor_centers(self, height: int, width: int, stride: int) -> np.ndarray:
        key = (height, width, stride)
        centers = self._anchor_cache.get(key)
        if centers is None:
            grid = np.stack(np.mgrid[:height, :width][::-1], axis=-1).astype(np.float32)
            centers = np.repeat((grid * stride).reshape(-1, 2), ANCHORS_PER_LOCATION, axis=0)
            if len(self._anchor_cache) < 64:
                self._anchor_cache[key] = centers
        return centers

    def _letterbox(self, image: np.ndarray, max_size: int, min_size: int) -> tuple[np.ndarray, float]:
        """Resize keeping the aspect ratio, pad bottom/right with black; return (input, scale)."""
        h, w = image.shape[:2]
        if self.fixed_input_size is not None:
            in_w, in_h = self.fixed_input_size
        else:
            in_w, in_h = choose_input_size(w, h, max_size, min_size)
        scale = min(in_w / w, in_h / h)
        new_w, new_h = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
        canvas = np.zeros((in_h, in_w, 3), dtype=np.uint8)
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=interp)
        return canvas, scale

    def _detect_once(self, image: np.ndarray, *, score_threshold: float, max_size: int, min_size: int) -> list[Detection]:
        canvas, scale = self._letterbox(image, max_size, min_size)
        blob = cv2.dnn.blobFromImage(
            canvas, 1.0 / self.spec.std, (canvas.shape[1], canvas.shape[0]),
            (self.spec.mean,) * 3, swapRB=self.spec.swap_rb,
        )
        outputs = self.session.run(self.output_names, {self.input_name: blob})
        boxes, scores, keypoints = self._decode(outputs, canvas.shape[0], canvas.shape[1], score_threshold)
        if not len(scores):
            return []
        keep = nms(boxes, scores, self.nms_threshold)
        boxes, scores, keypoints = boxes[keep] / scale, scores[keep], keypoints[keep] / scale
        h, w = image.shape[:2]
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
        return [
            Detection(box=b.astype(np.float32), keypoints=k.astype(np.float32), score=float(s))
            for b, k, s in zip(boxes, keypoints, scores)
        ]

    def _decode(
        self, outputs: list[np.ndarray], in_h: int, in_w: int, threshold: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        count = len(STRIDES)
        all_boxes, all_scores, all_kps = [], [], []
        for i, stride in enumerate(STRIDES):
            # outputs may carry a leading batch axis of 1 depending on the export
            scores = outputs[i].reshape(-1)
            distances = outputs[i + count].reshape(-1, 4) * stride
            kps_distances = outputs[i + 2 * count].reshape(-1, 10) * stride
            centers = self._anchor_centers(in_h // stride, in_w // stride, stride)
            hit = np.nonzero(scores >= threshold)[0]
            if not hit.size:
                continue
            c, d, kd = centers[hit], distances[hit], kps_distances[hit]
            all_boxes.append(np.concatenate([c - d[:, :2], c + d[:, 2:]], axis=1))
            all_kps.append(np.tile(c, 5).reshape(-1, 5, 2) + kd.reshape(-1, 5, 2))
            all_scores.append(scores[hit])
        if not all_scores:
            empty = np.zeros((0,), dtype=np.float32)
            return empty.reshape(0, 4), empty, empty.reshape(0, 5, 2)
        return np.concatenate(all_boxes), np.concatenate(all_scores), np.concatenate(all_kps)
