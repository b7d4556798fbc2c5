"""Face engine: detection (SCRFD or YuNet), ArcFace-template alignment, embedding (ArcFace or SFace),
quality, comparison; the models by profile (``identity.vision.profiles``).

Plain Python (numpy, OpenCV, Pillow, ONNX Runtime); no Django. Importing this
package loads no model: models are opened on first use. The building
blocks (image decoding, alignment, quality rules, flip modes, the model registry)
live in their modules: ``identity.vision.image``, ``.align``, ``.quality``, ...
"""

from .config import EngineConfig
from .detector import Detection
from .engine import FaceEngine, get_engine
from .image import ImageError
from .quality import FaceQuality
from .registry import ModelError
from .types import Face, NoFaceError, Verification

__all__ = [
    "Detection", "EngineConfig", "Face", "FaceEngine", "FaceQuality", "ImageError", "ModelError", "NoFaceError",
    "Verification", "get_engine",
]
