"""The face engine: detect, align, embed, measure quality, compare.

Plain Python (no Django). ONNX sessions are created lazily, on first use, once
per engine; :func:`get_engine` keeps one engine per configuration per process.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from .adaptive import ADAPTIVE, FLIP, near
from .align import ARCFACE_DST, CROP_SIZE, align_face
from .config import EngineConfig
from .detector import Detection, ScrfdDetector
from .embedder import ArcFaceEmbedder, flip_mean, l2_normalize
from .image import ImageSource, decode_image
from .quality import FaceQuality, measure_quality
from .registry import ModelSpec, create_session, resolve_model

FALLBACK_SCORE_THRESHOLD = 0.2
FALLBACK_PAD = 0.25  # each side, as a fraction of the image size

# Default keypoints for the centre fallback, as fractions of the centred square crop:
# the median SCRFD keypoints over 250 LFW deep-funneled photos (one per person, every 20th).
CENTER_KEYPOINTS = np.array(
    [[0.4164, 0.4523], [0.5886, 0.4489], [0.5012, 0.5486], [0.4335, 0.6304], [0.5798, 0.6275]],
    dtype=np.float32,
)


class NoFaceError(ValueError):
    """No face could be found in an image."""


@dataclass
class Face:
    """One face found in an image (all coordinates in the original image's pixels)."""

    box: np.ndarray  # (4,) float32 x1, y1, x2, y2
    keypoints: np.ndarray  # (5, 2) float32: left eye, right eye, nose, left/right mouth corner
    score: float  # detector confidence; 0.0 for a centre fallback
    embedding: np.ndarray  # (D,) float32, unit length (D = 512 for the default model)
    quality: FaceQuality
    crop: np.ndarray  # (112, 112, 3) aligned BGR uint8
    embedding_mode: str  # "plain" or "flip" (adaptive mode: "plain")
    model_id: str  # e.g. "w600k_mbf" or "w600k_mbf+flip"
    fallback: bool = False  # found only by the fallback path (see FaceEngine.analyze)
    fallback_reason: str | None = None  # "low-threshold", "padded" or "centre"
    flip_embedding: np.ndarray | None = None  # (D,) the flip embedding once computed (FaceEngine.mirror)

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))


@dataclass
class Verification:
    """Answer to "are these two photos the same person?"."""

    similarity: float
    same: bool
    threshold: float
    model_id: str  # the space the similarity was measured in ("+flip" when mirrored)
    notes: list[str] = field(default_factory=list)
    face1: Face | None = None
    face2: Face | None = None
    mirrored: bool = False  # adaptive mode: close to the threshold, decided on flip embeddings


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of every row of ``a`` (N, D) with every row of ``b`` (M, D): (N, M)."""
    a = l2_normalize(np.atleast_2d(a))
    b = l2_normalize(np.atleast_2d(b))
    return a @ b.T


def central_order(detections: list[Detection], width: int, height: int) -> list[Detection]:
    """Faces ordered by area minus twice the squared offset of their centre from the image centre.

    insightface's rule for picking "the" face of a photo centred on its subject (LFW, ID photos):
    a larger bystander at the edge loses to the centred subject.
    """
    def weight(d: Detection) -> float:
        dx = (d.box[0] + d.box[2]) / 2 - width / 2
        dy = (d.box[1] + d.box[3]) / 2 - height / 2
        return d.area - 2.0 * float(dx * dx + dy * dy)

    return sorted(detections, key=weight, reverse=True)


def center_detection(image: np.ndarray) -> Detection:
    """A face assumed centred in the image, with the default keypoint layout (last-resort fallback)."""
    h, w = image.shape[:2]
    side = float(min(h, w))
    x0, y0 = (w - side) / 2, (h - side) / 2
    keypoints = CENTER_KEYPOINTS * side + np.array([x0, y0], dtype=np.float32)
    # a box around the template's face region: the crop's 112 px span maps to ~half the side
    span = side * 0.5
    cx, cy = keypoints[:, 0].mean(), keypoints[:, 1].mean()
    box = np.array([cx - span / 2, cy - span / 2, cx + span / 2, cy + span / 2], dtype=np.float32)
    return Detection(box=box, keypoints=keypoints.astype(np.float32), score=0.0)


class FaceEngine:
    """Face detection + alignment + ArcFace embedding behind one small API.

    Models are resolved through ``models/manifest.json`` and loaded on first use
    (checksum and input shape checked then); creating an engine costs nothing.
    All methods are thread-safe.
    """

    def __init__(self, config: EngineConfig | None = None):
        self.config = config or EngineConfig()
        self._lock = threading.Lock()
        self._detector: ScrfdDetector | None = None
        self._embedder: ArcFaceEmbedder | None = None

    # -- models, loaded lazily ------------------------------------------------
    def _session(self, spec: ModelSpec):
        return create_session(spec, self.config.intra_op_threads, self.config.inter_op_threads)

    @property
    def detector(self) -> ScrfdDetector:
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    spec = resolve_model(self.config.detector, "detector", self.config.models_dir)
                    self._detector = ScrfdDetector(self._session(spec), spec)
        return self._detector

    @property
    def embedder(self) -> ArcFaceEmbedder:
        if self._embedder is None:
            with self._lock:
                if self._embedder is None:
                    spec = resolve_model(self.config.embedder, "embedder", self.config.models_dir)
                    self._embedder = ArcFaceEmbedder(self._session(spec), spec)
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
        return self._embedder_name() + ("+flip" if self.config.flip == FLIP else "")

    @property
    def flip_model_id(self) -> str:
        """The space of flip embeddings (``Face.flip_embedding``, flip mode's ``Face.embedding``)."""
        return self._embedder_name() + "+flip"

    def _embedder_name(self) -> str:
        name = self.config.embedder.removesuffix(".onnx")
        if not name:  # the manifest's default embedder: resolving a name opens no session
            name = resolve_model("", "embedder", self.config.models_dir).name
        return name

    # -- building blocks -------------------------------------------------------
    def load_image(self, image: ImageSource) -> np.ndarray:
        """Any accepted image input -> BGR uint8 array (ImageError when unusable)."""
        return decode_image(image, max_pixels=self.config.max_pixels)

    def detect(self, image: ImageSource, *, score_threshold: float | None = None) -> list[Detection]:
        """Detected faces (box, keypoints, score), largest first, in original image coordinates."""
        bgr = self.load_image(image)
        threshold = self.config.det_score_threshold if score_threshold is None else score_threshold
        found = self.detector.detect(
            bgr, score_threshold=threshold, max_size=self.config.det_max_size, min_size=self.config.det_min_size
        )
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

    def _detect_with_fallback(self, bgr: np.ndarray, fallback_center: bool) -> tuple[list[Detection], str | None]:
        found = self.detect(bgr)
        if found or not fallback_center:
            return found, None
        found = self.detect(bgr, score_threshold=FALLBACK_SCORE_THRESHOLD)
        if found:
            return found, "low-threshold"
        # a face filling the frame or too small: pad the borders and run at full resolution
        h, w = bgr.shape[:2]
        pad_y, pad_x = int(h * FALLBACK_PAD), int(w * FALLBACK_PAD)
        padded = np.zeros((h + 2 * pad_y, w + 2 * pad_x, 3), dtype=np.uint8)
        padded[pad_y : pad_y + h, pad_x : pad_x + w] = bgr
        size = self.config.det_max_size
        found = self.detector.detect(padded, score_threshold=FALLBACK_SCORE_THRESHOLD, max_size=size, min_size=size)
        if found:
            shift = np.array([pad_x, pad_y], dtype=np.float32)
            moved = [
                Detection(box=d.box - np.tile(shift, 2), keypoints=d.keypoints - shift, score=d.score) for d in found
            ]
            return sorted(moved, key=lambda d: d.area, reverse=True), "padded"
        return [center_detection(bgr)], "centre"

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

    def _faces(self, detections: list[Detection], reason: str | None, embeddings: np.ndarray,
               flips: np.ndarray | None, crops: list[np.ndarray]) -> list[Face]:
        return [
            Face(
                box=d.box, keypoints=d.keypoints, score=d.score, embedding=embeddings[i],
                quality=measure_quality(d.box, d.keypoints, d.score, crops[i]), crop=crops[i],
                embedding_mode=self.embedding_mode, model_id=self.model_id,
                fallback=reason is not None, fallback_reason=reason,
                flip_embedding=None if flips is None else flips[i],
            )
            for i, d in enumerate(detections)
        ]

    # -- public API -----------------------------------------------------------
    def analyze(
        self, image: ImageSource, *, fallback_center: bool = False, max_faces: int | None = None,
        central_first: bool = False, with_flip: bool = False,
    ) -> list[Face]:
        """Every face in the image with embedding, quality and aligned crop, largest first.

        ``max_faces`` keeps (and embeds) only that many faces. ``central_first``
        orders them by area weighted towards the image centre instead (for photos
        centred on their subject, see :func:`central_order`).
        With ``fallback_center`` (for photos known to hold one centred face, like
        LFW), an image where nothing is detected is searched again at a lower
        score threshold, then padded at full detector resolution, and as a last
        resort the image centre is used with a default keypoint layout; such
        faces have ``fallback=True`` and say which step found them. Without it
        (the default, for enrolment) such an image gives an empty list.
        ``with_flip`` also sets every face's ``flip_embedding``, the mirrored crops
        going through the network in the same call (enrolled samples keep both).
        """
        return self.analyze_many(
            [image], fallback_center=fallback_center, max_faces=max_faces, central_first=central_first,
            with_flip=with_flip,
        )[0]

    def analyze_many(
        self, images: Iterable[ImageSource], *, fallback_center: bool = False, max_faces: int | None = None,
        central_first: bool = False, with_flip: bool = False,
    ) -> list[list[Face]]:
        """:meth:`analyze` for several images, embedding all their faces in batched ONNX calls."""
        return [faces for faces, _ in self._analyze_many(images, fallback_center, max_faces, central_first, with_flip)]

    def _analyze_many(
        self, images: Iterable[ImageSource], fallback_center: bool, max_faces: int | None,
        central_first: bool = False, with_flip: bool = False,
    ) -> list[tuple[list[Face], int]]:
        """Faces per image plus how many were detected before ``max_faces`` cut the list."""
        per_image: list[tuple[np.ndarray, list[Detection], str | None, int]] = []
        crops: list[np.ndarray] = []
        for image in images:
            bgr = self.load_image(image)
            detections, reason = self._detect_with_fallback(bgr, fallback_center)
            if central_first:
                detections = central_order(detections, bgr.shape[1], bgr.shape[0])
            detected = len(detections)
            detections = detections[:max_faces] if max_faces is not None else detections
            per_image.append((detections, reason, detected))
            crops.extend(align_face(bgr, d.keypoints) for d in detections)
        embeddings, flips = self._embed_faces(crops, with_flip)
        results, start = [], 0
        for detections, reason, detected in per_image:
            stop = start + len(detections)
            faces = self._faces(detections, reason, embeddings[start:stop],
                                None if flips is None else flips[start:stop], crops[start:stop])
            results.append((faces, detected))
            start = stop
        return results

    def verify(self, image1: ImageSource, image2: ImageSource, *, fallback_center: bool = True) -> Verification:
        """Are the (largest) faces of two photos the same person, at the configured threshold?

        In adaptive mode a plain similarity within the band around the threshold is taken
        again on the two faces' flip embeddings (both mirrored crops in one ONNX call);
        ``mirrored`` and ``model_id`` then say so. Raises NoFaceError when an image has no
        face (with ``fallback_center`` the centre fallback always yields one: check
        ``face.fallback_reason``).
        """
        notes: list[str] = []
        chosen: list[Face] = []
        for number, image in ((1, image1), (2, image2)):
            (faces, detected), = self._analyze_many([image], fallback_center, max_faces=1)
            if not faces:
                raise NoFaceError(f"no face found in image {number}")
            if detected > 1:
                notes.append(f"several faces in image {number} ({detected}): used the largest")
            if faces[0].fallback_reason == "centre":
                notes.append(f"no face detected in image {number}: used the image centre")
            elif faces[0].fallback:
                notes.append(f"face in image {number} found only by the fallback ({faces[0].fallback_reason})")
            chosen.append(faces[0])
        threshold = self.config.threshold
        plain = similarity = self.compare(chosen[0].embedding, chosen[1].embedding)
        mirrored = self.adaptive and near(plain, threshold=threshold, band=self.config.flip_band)
        if mirrored:
            flip1, flip2 = self.mirror(chosen)
            similarity = self.compare(flip1, flip2)
            notes.append(f"close to the threshold (plain similarity {plain:.3f}): decided with the mirrored faces too")
        return Verification(
            similarity=similarity, same=similarity >= threshold, threshold=threshold,
            model_id=self.flip_model_id if mirrored else self.model_id, notes=notes, face1=chosen[0],
            face2=chosen[1], mirrored=mirrored,
        )


@functools.lru_cache(maxsize=8)
def _cached_engine(config: EngineConfig) -> FaceEngine:
    return FaceEngine(config)


def get_engine(config: EngineConfig | None = None) -> FaceEngine:
    """The process-wide engine for this configuration (created once; models load on first use)."""
    return _cached_engine(config or EngineConfig())


__all__ = [
    "ARCFACE_DST", "CROP_SIZE", "EngineConfig", "Face", "FaceEngine", "NoFaceError", "Verification",
    "center_detection", "central_order", "cosine_matrix", "get_engine",
]
