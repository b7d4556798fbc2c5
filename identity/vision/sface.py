"""SFace embedder (OpenCV Zoo): aligned BGR crops in, 128-d unit embeddings out.

Its authors' recipe (OpenCV's ``FaceRecognizerSF``): the face aligned to ArcFace's five-point
112x112 template (``identity.vision.align`` gives the same crop as ``FaceRecognizerSF.alignCrop``),
RGB, raw 0..255 pixels (mean 0, std 1, the manifest's), cosine similarity. Run by OpenCV's dnn
module, classic engine: ONNX Runtime, and OpenCV 5's new engine, refuse this file (its weights are
also listed as graph inputs).
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .embedder import ArcFaceEmbedder
from .registry import ModelError, ModelSpec, verify_checksum


def _read_net(spec: ModelSpec) -> cv2.dnn.Net:
    classic = getattr(cv2.dnn, "ENGINE_CLASSIC", None)  # OpenCV 5; OpenCV 4 has only that engine
    try:
        if classic is None:
            return cv2.dnn.readNetFromONNX(str(spec.path))
        return cv2.dnn.readNetFromONNX(str(spec.path), engine=classic)
    except cv2.error as exc:
        raise ModelError(f"{spec.path}: not a loadable SFace model: {exc}") from exc


class SFaceEmbedder(ArcFaceEmbedder):
    """ArcFaceEmbedder's batching, mirroring and normalisation, with OpenCV running the network."""

    def __init__(self, spec: ModelSpec):  # not super().__init__: that one wants an ONNX Runtime session
        verify_checksum(spec)
        if spec.input_size is None:
            raise ModelError(f"{spec.path}: give the SFace model's input_size in the manifest")
        self.spec = spec
        self.input_size = spec.input_size
        self.batch_fixed = False
        self._net = _read_net(spec)
        self._lock = threading.Lock()  # a cv2.dnn.Net holds its input between setInput and forward

    def _run(self, blob: np.ndarray) -> np.ndarray:
        with self._lock:
            self._net.setInput(np.ascontiguousarray(blob))
            return np.array(self._net.forward(), dtype=np.float32)
