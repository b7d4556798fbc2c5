"""Face engine: image loading, SCRFD detection, ArcFace alignment and embedding, quality.

Plain Python (numpy, OpenCV, Pillow, ONNX Runtime); no Django. Importing this
package loads no model: ONNX sessions are created on first use.
"""

from .align import ARCFACE_DST, align_face, alignment_matrix, similarity_transform
from .detector import Detection, ScrfdDetector, choose_input_size
from .embedder import ArcFaceEmbedder, l2_normalize
from .engine import (
    EngineConfig,
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
    "ARCFACE_DST", "ArcFaceEmbedder", "DEFAULT_MAX_PIXELS", "Detection", "EngineConfig", "Face", "FaceEngine",
    "FaceQuality", "ImageError", "ModelError", "ModelSpec", "NoFaceError", "ScrfdDetector", "Verification",
    "align_face", "alignment_matrix", "choose_input_size", "cosine_matrix", "decode_image", "encode_jpeg", "estimate_yaw",
    "get_engine", "l2_normalize", "measure_quality", "probe_image", "quality_problem", "resolve_model",
    "similarity_transform",
]
