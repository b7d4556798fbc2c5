"""Face engine: image loading, SCRFD detection, ArcFace alignment and embedding, quality.

Plain Python (numpy, OpenCV, Pillow, ONNX Runtime); no Django. Importing this
package loads no model: ONNX sessions are created on first use.
"""

from .adaptive import ADAPTIVE, DEFAULT_FLIP_BAND, FLIP, FLIP_MODES, PLAIN, flip_mode, near
from .align import ARCFACE_DST, align_face, alignment_matrix, similarity_transform
from .config import DEFAULT_THRESHOLD, EngineConfig
from .detector import Detection, ScrfdDetector, choose_input_size
from .embedder import ArcFaceEmbedder, flip_mean, l2_normalize
from .engine import (
    Face,
    FaceEngine,
    NoFaceError,
    Verification,
    cosine_matrix,
    get_engine,
)
from .image import DEFAULT_MAX_PIXELS, ImageError, decode_image, encode_jpeg, probe_image
from .quality import FaceQuality, estimate_yaw, measure_quality, quality_problem
from .registry import ModelError, ModelSpec, resolve_model

__all__ = [
    "ADAPTIVE", "ARCFACE_DST", "ArcFaceEmbedder", "DEFAULT_FLIP_BAND", "DEFAULT_MAX_PIXELS", "DEFAULT_THRESHOLD",
    "Detection", "EngineConfig", "FLIP", "FLIP_MODES", "Face", "FaceEngine", "FaceQuality", "ImageError", "ModelError",
    "ModelSpec", "NoFaceError", "PLAIN", "ScrfdDetector", "Verification", "align_face", "alignment_matrix",
    "choose_input_size", "cosine_matrix", "decode_image", "encode_jpeg", "estimate_yaw", "flip_mean", "flip_mode",
    "get_engine", "l2_normalize", "measure_quality", "near", "probe_image", "quality_problem", "resolve_model",
    "similarity_transform",
]
