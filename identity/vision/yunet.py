"""YuNet face detector (OpenCV Zoo): BGR image in, the same ``Detection`` as SCRFD's out.

Run by OpenCV's ``cv2.FaceDetectorYN``, not ONNX Runtime: ONNX Runtime refuses the block-quantised
int8 file (a per-tensor DequantizeLinear carrying a block_size), and FaceDetectorYN is its authors'
own decoding (priors, NMS, top-k). Its five landmarks come in ArcFace's order (the eye on the
image's left first), so ``identity.vision.align`` aligns them unchanged.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .detector import Detection, TiledDetector, choose_input_size
from .registry import ModelError, ModelSpec, verify_checksum

TOP_K = 5000  # candidates kept before NMS: a crowd photo's small faces must not be cut


class YunetDetector(TiledDetector):
    """YuNet: rows of x, y, w, h, five (x, y) landmarks and a score, for any input size."""

    def __init__(self, spec: ModelSpec, *, nms_threshold: float = 0.3):
        verify_checksum(spec)
        try:
            self._net = cv2.FaceDetectorYN.create(str(spec.path), "", (320, 320), 0.5, nms_threshold, TOP_K)
        except cv2.error as exc:
            raise ModelError(f"{spec.path}: not a loadable YuNet model: {exc}") from exc
        self.spec = spec
        self.nms_threshold = nms_threshold
        self._lock = threading.Lock()  # FaceDetectorYN keeps its input size and threshold between calls

    def _detect_once(self, image: np.ndarray, *, score_threshold: float, max_size: int, min_size: int) -> list[Detection]:
        height, width = image.shape[:2]
        # SCRFD's input side for this image (so both see faces at one scale); YuNet pads it itself
        scale = max(choose_input_size(width, height, max_size, min_size)) / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        resized = image if size == (width, height) else cv2.resize(image, size, interpolation=interp)
        with self._lock:
            self._net.setInputSize(size)
            self._net.setScoreThreshold(float(score_threshold))
            _, rows = self._net.detect(np.ascontiguousarray(resized))
        if rows is None:
            return []
        scale_x, scale_y = width / size[0], height / size[1]
        found = []
        for row in rows:
            x, y, w, h = row[:4]
            box = np.array([x * scale_x, y * scale_y, (x + w) * scale_x, (y + h) * scale_y], np.float32)
            box[0::2], box[1::2] = box[0::2].clip(0, width), box[1::2].clip(0, height)
            keypoints = (row[4:14].reshape(5, 2) * (scale_x, scale_y)).astype(np.float32)
            found.append(Detection(box=box, keypoints=keypoints, score=float(row[14])))
        return found
