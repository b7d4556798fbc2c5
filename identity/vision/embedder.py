"""ArcFace embedder (ONNX): aligned BGR crops in, L2-normalised float32 embeddings out."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import onnxruntime as ort

from .registry import ModelError, ModelSpec, session_input_size

MAX_BATCH = 64  # bounds the memory of one ONNX call; a photo's faces always fit in one call


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class ArcFaceEmbedder:
    """ArcFace-style recognition model: NCHW RGB input normalised as (x - mean) / std."""

    def __init__(self, session: ort.InferenceSession, spec: ModelSpec):
        outputs = session.get_outputs()
        if len(outputs) != 1:
            raise ModelError(f"{spec.path}: expected one embedding output, the model has {len(outputs)}")
        self.session = session
        self.spec = spec
        self.input_name = session.get_inputs()[0].name
        self.output_name = outputs[0].name
        self.input_size = session_input_size(spec, session)  # (w, h), 112x112 for ArcFace
        self.batch_fixed = isinstance(session.get_inputs()[0].shape[0], int)

    def _blob(self, crops: np.ndarray) -> np.ndarray:
        w, h = self.input_size
        if crops.shape[1:3] != (h, w):
            crops = np.stack([cv2.resize(c, (w, h)) for c in crops])
        images = crops[..., ::-1] if self.spec.swap_rb else crops  # BGR -> RGB
        blob = (images.astype(np.float32) - self.spec.mean) / self.spec.std
        return np.ascontiguousarray(blob.transpose(0, 3, 1, 2))

    def _run(self, blob: np.ndarray) -> np.ndarray:
        if self.batch_fixed:  # an export with batch size 1: one call per crop
            return np.concatenate([self.session.run([self.output_name], {self.input_name: b[None]})[0] for b in blob])
        return self.session.run([self.output_name], {self.input_name: blob})[0]

    def embed(self, crops: np.ndarray | Sequence[np.ndarray], *, flip: bool = False) -> np.ndarray:
        """(N, D) unit-length float32 embeddings of N aligned BGR uint8 crops.

        With ``flip`` the mirrored crops go through the network in the same
        call and each face's two raw embeddings are summed before normalising
        (the test-time augmentation of the ArcFace evaluation code).
        """
        crops = np.asarray(crops, dtype=np.uint8)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.ndim != 4 or crops.shape[3] != 3:
            raise ValueError(f"crops must be N x H x W x 3 uint8, got shape {crops.shape}")
        results = []
        for start in range(0, len(crops), MAX_BATCH):
            chunk = crops[start : start + MAX_BATCH]
            blob = self._blob(chunk)
            if flip:
                raw = self._run(np.concatenate([blob, blob[:, :, :, ::-1]]))
                raw = raw[: len(chunk)] + raw[len(chunk) :]
            else:
                raw = self._run(blob)
            results.append(raw.reshape(len(chunk), -1))
        if not results:
            return np.zeros((0, self.spec.embedding_size or 512), dtype=np.float32)
        return l2_normalize(np.concatenate(results))
