"""Django glue: the process-wide face engine configured from settings or the environment."""

from __future__ import annotations

from django.conf import settings

from identity.vision import EngineConfig, FaceEngine, get_engine


def get_face_engine() -> FaceEngine:
    """Engine from ``settings.FACEAPP_ENGINE`` (dict of EngineConfig fields) over FACEAPP_* env vars.

    Cached per configuration; the ONNX models load on first use, not here.
    """
    overrides = getattr(settings, "FACEAPP_ENGINE", None) or {}
    return get_engine(EngineConfig.from_env(**overrides))
