"""The face engine: detect, align, embed, measure quality, compare.

Plain Python (no Django). Models are opened lazily, on first use, once per engine, by the class
their manifest entry's family names; :func:`get_engine` keeps one engine per configuration per process.
"""

from __future__ import annotations

import functools
import threading
from typing import Iterable, Sequence

import cv2
import numpy as np

from .adaptive import ADAPTIVE, FLIP, near
from .align import align_face, crop_mask
from .config import EngineConfig
from .detector import Detection, ScrfdDetector, TiledDetector
from .distance import frame_input_side
from .embedder import ArcFaceEmbedder, cosine_matrix, flip_mean, min_name_px
from .image import ImageSource, decode_image
from .quality import comparison_limits, measure_quality
from .registry import ModelError, ModelSpec, create_session, model_name, resolve_model
from .sface import SFaceEmbedder
from .types import Face, NoFaceError, Verification
from .yunet import YunetDetector

FAMILIES = {"detector": ("scrfd", "yunet"), "embedder": ("arcface", "sface")}


class FaceEngine:
    """Face detection + alignment + ArcFace embedding behind one small API.

    Models are resolved through ``models/manifest.json`` and loaded on first use
    (checksum and input shape checked then); creating an engine costs nothing.
    All methods are thread-safe.
    """

    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()
        self._lock = threading.Lock()
        self._detector: TiledDetector | None = None
        self._embedder: ArcFaceEmbedder | None = None

    # -- models, loaded lazily ------------------------------------------------
    def _session(self, spec: ModelSpec):
        return create_session(spec, self.config.intra_op_threads, self.config.inter_op_threads)

    def _spec(self, role: str) -> ModelSpec:
        spec = resolve_model(getattr(self.config, role), role, self.config.models_dir)
        if spec.family not in FAMILIES[role]:
            raise ModelError(f"{spec.path}: unknown {role} family {spec.family!r} (known: {', '.join(FAMILIES[role])})")
        if spec.runtime == "opencv" and self.config.intra_op_threads > 0:
            cv2.setNumThreads(self.config.intra_op_threads)  # OpenCV's pool is per process, like the worker's ONNX threads
        return spec

    @property
    def detector(self) -> TiledDetector:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    spec = self._spec("detector")
                    self._detector = YunetDetector(spec) if spec.family == "yunet" else ScrfdDetector(self._session(spec), spec)
        return self._detector

    @property
    def embedder(self) -> ArcFaceEmbedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    spec = self._spec("embedder")
                    self._embedder = SFaceEmbedder(spec) if spec.family == "sface" else ArcFaceEmbedder(self._session(spec), spec)
        return self._embedder

    def load(self) -> "FaceEngine":
        """Load both models now (e.g. at worker start-up) rather than on the first photo."""
        _ = self.detector, self.embedder
        return self

    @property
    def adaptive(self) -> bool:
        """Adaptive flip mode: plain embeddings, mirrored only where a decision is close."""
        return self.config.flip == ADAPTIVE

    @property
    def embedding_mode(self) -> str:
        """What ``Face.embedding`` is: "flip" in flip mode, else "plain" (adaptive included)."""
        return "flip" if self.config.flip == FLIP else "plain"

    @property
    def model_id(self) -> str:
        """Identifies the embedding space of ``Face.embedding``: embeddings are comparable only
        within one model_id (adaptive mode shares plain mode's)."""
        return self._embedder_name + ("+flip" if self.config.flip == FLIP else "")

    @property
    def flip_model_id(self) -> str:
        """The space of flip embeddings (``Face.flip_embedding``, flip mode's ``Face.embedding``)."""
        return self._embedder_name + "+flip"

    @property
    def embedding_size(self) -> int:
        """The width of this engine's embeddings, from the model manifest (no session opened)."""
        return resolve_model(self.config.embedder, "embedder", self.config.models_dir).width

    @property
    def min_name_px(self) -> int:
        """Faces smaller than this (smaller side of the box, image pixels) are too small to name:
        the config's override, else the embedder's measured size."""
        return self.config.min_name_px if self.config.min_name_px is not None else min_name_px(self.model_id)

    @property
    def min_face_px(self) -> int:
        """Photos: the smallest face to find (the config's, else the name size; 0: one detector pass)."""
        return self.config.min_face_px if self.config.min_face_px is not None else self.min_name_px

    def too_small(self, face: Face) -> bool:
        """Whether the face is too small for its embedding to name anyone (min_name_px)."""
        return face.quality.size_px < self.min_name_px

    @functools.cached_property
    def _embedder_name(self) -> str:
        """The manifest's name of the embedder (a default or an alias resolved); opens no model."""
        return model_name(self.config.embedder, "embedder", self.config.models_dir)

    # -- building blocks -------------------------------------------------------
    def load_image(self, image: ImageSource) -> np.ndarray:
        """Any accepted image input -> BGR uint8 array (ImageError when unusable)."""
        return decode_image(image, max_pixels=self.config.max_pixels)

    def detect(self, image: ImageSource, *, score_threshold: float | None = None,
               min_face_px: int | None = None) -> list[Detection]:
        """Detected faces (box, keypoints, score), largest first, in original image coordinates;
        faces down to `min_face_px` (None: the engine's, for photos; 0: one pass, for frames)."""
        bgr = self.load_image(image)
        threshold = self.config.det_score_threshold if score_threshold is None else score_threshold
        found = self.detector.detect(
            bgr, score_threshold=threshold, max_size=self.config.det_max_size, min_size=self.config.det_min_size,
            min_face_px=self.min_face_px if min_face_px is None else min_face_px,
        )
        return sorted(found, key=lambda d: d.area, reverse=True)

    def detect_frame(self, image: np.ndarray, *, min_face_px: int = 0) -> list[Detection]:
        """A camera frame's faces in one detector pass, its input no larger than finding faces down
        to `min_face_px` (frame pixels) needs (0: the usual input): a doorway's faces are large."""
        height, width = image.shape[:2]
        side = frame_input_side(width, height, min_face_px=min_face_px, max_size=self.config.det_max_size,
                                min_size=self.config.det_min_size)
        found = self.detector.detect(image, score_threshold=self.config.det_score_threshold, max_size=side,
                                     min_size=self.config.det_min_size)
        return sorted(found, key=lambda d: d.area, reverse=True)

    def embed(self, crops: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """(N, D) unit float32 embeddings of aligned 112x112 BGR crops, in one ONNX call
        (flip embeddings in flip mode, plain ones otherwise)."""
        return self.embedder.embed(crops, flip=self.config.flip == FLIP)

    def flip_embeddings(self, crops: np.ndarray | Sequence[np.ndarray], plain: np.ndarray) -> np.ndarray:
        """(N, D) flip embeddings of crops whose plain embeddings are known: only the mirrored
        crops go through the network, all in one ONNX call."""
        return flip_mean(plain, self.embedder.embed_mirrored(crops))

    def mirror(self, faces: Sequence[Face]) -> np.ndarray:
        """(N, D) flip embeddings of these faces; those not known yet are computed in one ONNX
        call and kept on the faces (``Face.flip_embedding``)."""
        missing = [f for f in faces if f.flip_embedding is None]
        if missing:
            crops, plain = np.stack([f.crop for f in missing]), np.stack([f.embedding for f in missing])
            for face, vector in zip(missing, self.flip_embeddings(crops, plain)):
                face.flip_embedding = vector
        return np.stack([f.flip_embedding for f in faces]) if faces else np.zeros((0, 0), np.float32)

    @staticmethod
    def compare(a: np.ndarray, b: np.ndarray) -> float:
        """Cosine similarity of two embeddings (-1..1)."""
        return float(cosine_matrix(a, b)[0, 0])

    def _embed_faces(self, crops: list[np.ndarray], with_flip: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """(embeddings, flip embeddings or None) of the crops, in one ONNX call per batch."""
        if not crops:
            return np.zeros((0, 0), dtype=np.float32), None
        if self.config.flip == FLIP:
            embeddings = self.embed(np.stack(crops))
            return embeddings, embeddings  # flip mode's embedding is the flip embedding
        if with_flip:  # the mirrored crops ride in the same call as the crops
            plain, mirrored = self.embedder.embed_both(np.stack(crops))
            return plain, flip_mean(plain, mirrored)
        return self.embed(np.stack(crops)), None

    def faces(
        self, found: Sequence[tuple[np.ndarray, Sequence[Detection]]], *, with_flip: bool = False
    ) -> list[list[Face]]:
        """The faces of given detections, per (BGR image, its detections): aligned, measured and
        embedded, every crop in one batched ONNX call. ``with_flip`` also sets every face's
        ``flip_embedding``, the mirrored crops riding in the same call."""
        crops = [align_face(bgr, d.keypoints) for bgr, detections in found for d in detections]
        embeddings, flips = self._embed_faces(crops, with_flip)
        results, start = [], 0
        for bgr, detections in found:
            results.append([
                Face(
                    box=d.box, keypoints=d.keypoints, score=d.score, embedding=embeddings[start + k],
                    quality=measure_quality(d.box, d.keypoints, d.score, crops[start + k],
                                            valid=crop_mask(bgr.shape, d.keypoints)),
                    crop=crops[start + k],
                    embedding_mode=self.embedding_mode, model_id=self.model_id,
                    flip_embedding=None if flips is None else flips[start + k],
                )
                for k, d in enumerate(detections)
            ])
            start += len(detections)
        return results

    # -- public API -----------------------------------------------------------
    def analyze(self, image: ImageSource, *, max_faces: int | None = None, with_flip: bool = False) -> list[Face]:
        """Every face in the image with embedding, quality and aligned crop, largest first; an image
        with no detected face gives an empty list. ``max_faces`` keeps (and embeds) only that many;
        ``with_flip`` also sets their flip embeddings (enrolled samples keep both)."""
        return self.analyze_many([image], max_faces=max_faces, with_flip=with_flip)[0]

    def analyze_many(
        self, images: Iterable[ImageSource], *, max_faces: int | None = None, with_flip: bool = False
    ) -> list[list[Face]]:
        """:meth:`analyze` for several images, embedding all their faces in batched ONNX calls."""
        found = []
        for image in images:
            bgr = self.load_image(image)
            found.append((bgr, self.detect(bgr)[:max_faces]))
        return self.faces(found, with_flip=with_flip)

    def verify(self, image1: ImageSource, image2: ImageSource) -> Verification:
        """Are the (largest) faces of two photos the same person, at the configured threshold?

        In adaptive mode a plain similarity within the band around the threshold is taken
        again on the two faces' flip embeddings (both mirrored crops in one ONNX call);
        ``mirrored`` and ``model_id`` then say so. A similarity still within that band after it is
        ``close`` ("too close to call"), with what about each photo limits it (``limits``).
        Raises NoFaceError when an image has no face.
        """
        notes: list[str] = []
        chosen: list[Face] = []
        for number, image in ((1, image1), (2, image2)):
            bgr = self.load_image(image)
            detections = self.detect(bgr)
            if not detections:
                raise NoFaceError(f"no face found in image {number}", image=number)
            if len(detections) > 1:
                notes.append(f"several faces in image {number} ({len(detections)}): used the largest")
            chosen.append(self.faces([(bgr, detections[:1])])[0][0])
        threshold, band = self.config.threshold, self.config.flip_band
        plain = similarity = self.compare(chosen[0].embedding, chosen[1].embedding)
        mirrored = self.adaptive and near(plain, threshold=threshold, band=band)
        if mirrored:
            flip1, flip2 = self.mirror(chosen)
            similarity = self.compare(flip1, flip2)
            notes.append(f"close to the threshold (plain similarity {plain:.3f}): decided with the mirrored faces too")
        close = bool(near(similarity, threshold=threshold, band=band))
        limits = [f"photo {number}: {limit}" for number, face in enumerate(chosen, 1) if close
                  for limit in comparison_limits(face.quality)]
        return Verification(
            similarity=similarity, same=similarity >= threshold, threshold=threshold,
            model_id=self.flip_model_id if mirrored else self.model_id, notes=notes, face1=chosen[0],
            face2=chosen[1], mirrored=mirrored, close=close, band=band, limits=limits,
        )


@functools.lru_cache(maxsize=8)
def _cached_engine(config: EngineConfig) -> FaceEngine:
    return FaceEngine(config)


def get_engine(config: EngineConfig | None = None) -> FaceEngine:
    """The process-wide engine for this configuration (created once; models load on first use)."""
    return _cached_engine(config or EngineConfig())
