"""ArcFace embedder (ONNX): aligned BGR crops in, L2-normalised float32 embeddings out."""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np
import onnxruntime as ort

from .registry import ModelError, ModelSpec, session_input_size

MAX_BATCH = 64  # bounds the memory of one ONNX call; a photo's faces always fit in one call

# The smallest face (smaller side of its box, image pixels) each model's embedding names reliably;
# smaller faces are "too small to name". Keyed by embedder name (model_id less "+flip").
MIN_NAME_PX = {
    # bench/crowd.py, 1,000 enrolled, 900 faces a width: named right 86 % at 24 px, 93 % at 32 (none wrong)
    "w600k_mbf": 28,
    # bench/crowd.py --people 200 --photos 2 (60 faces a width, tiles), a rough measure: named right 75 %
    # at 24 px with 1 of 60 named wrongly, 82 % at 32 px with none wrong, 95 % at 48
    "sface_2021dec_int8bq": 32,
}
UNMEASURED_MIN_NAME_PX = 28  # a model not measured yet: w600k_mbf's


def min_name_px(model_id: str) -> int:
    """The smallest face the embedding of `model_id` (e.g. "w600k_mbf+flip") names reliably."""
    return MIN_NAME_PX.get(model_id.removesuffix("+flip"), UNMEASURED_MIN_NAME_PX)


def l2_normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` (N, D) with every row of ``b`` (M, D): (N, M)."""
    return l2_normalize(np.atleast_2d(a)) @ l2_normalize(np.atleast_2d(b)).T


def flip_mean(plain: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Flip embeddings: the normalised mean of unit plain and unit mirrored embeddings (rows).

    The ArcFace evaluation code sums the raw outputs instead; on LFW View 1 the two agree
    to a cosine of 0.99997 or more, and this one needs no raw outputs kept.
    """
    return l2_normalize(np.asarray(plain, dtype=np.float32) + np.asarray(mirrored, dtype=np.float32))


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

        With ``flip`` each face's embedding is :func:`flip_mean` of its crop's and its mirrored
        crop's (the test-time augmentation of the ArcFace evaluation code), both in one call.
        """
        return flip_mean(*self.embed_both(crops)) if flip else self._embed(crops, (False,))[0]

    def embed_mirrored(self, crops: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, D) unit embeddings of the mirror images of N aligned crops."""
        return self._embed(crops, (True,))[0]

    def embed_both(self, crops: np.ndarray | Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Unit embeddings of the crops and of their mirror images, both in the same ONNX calls."""
        plain, mirrored = self._embed(crops, (False, True))
        return plain, mirrored

    def _embed(self, crops: np.ndarray | Sequence[np.ndarray], mirrors: tuple[bool, ...]) -> list[np.ndarray]:
        """One (N, D) unit array per entry of ``mirrors`` (False: the crops, True: their mirrors)."""
        crops = np.asarray(crops, dtype=np.uint8)
        if crops.ndim == 3:
            crops = crops[None]
        if crops.ndim != 4 or crops.shape[3] != 3:
            raise ValueError(f"crops must be N x H x W x 3 uint8, got shape {crops.shape}")
        if not len(crops):
            return [np.zeros((0, self.spec.width), dtype=np.float32) for _ in mirrors]
        step = max(1, MAX_BATCH // len(mirrors))  # one call stays within MAX_BATCH images
        parts: list[list[np.ndarray]] = [[] for _ in mirrors]
        for start in range(0, len(crops), step):
            blob = self._blob(crops[start : start + step])
            views = [blob[:, :, :, ::-1] if mirror else blob for mirror in mirrors]
            raw = self._run(np.ascontiguousarray(views[0]) if len(views) == 1 else np.concatenate(views))
            for part, rows in zip(parts, np.split(raw.reshape(len(raw), -1), len(mirrors))):
                part.append(rows)
        return [l2_normalize(np.concatenate(part)) for part in parts]
