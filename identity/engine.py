"""Django glue: the process-wide face engine configured from settings or the environment."""

from __future__ import annotations

from django.conf import settings

from identity.vision import EngineConfig, FaceEngine, get_engine
from identity.vision.registry import resolve_model, verify_checksum


def get_face_engine() -> FaceEngine:
    """Engine from ``settings.FACEAPP_ENGINE`` (dict of EngineConfig fields) over FACEAPP_* env vars.

    Cached per configuration; the ONNX models load on first use, not here.
    """
    overrides = getattr(settings, "FACEAPP_ENGINE", None) or {}
    return get_engine(EngineConfig.from_env(**overrides))


def model_files_status() -> dict[str, str]:
    """{role: "name (file)"} for the configured models, checksums verified; raises ModelError
    naming the file when one is missing or wrong. Loads no ONNX session."""
    config = get_face_engine().config
    status = {}
    for role, name in (("detector", config.detector), ("embedder", config.embedder)):
        spec = resolve_model(name, role, config.models_dir)
        verify_checksum(spec)
        status[role] = f"{spec.name} ({spec.path.name})"
    return status
