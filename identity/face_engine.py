"""Django glue: the process-wide face engine configured from settings."""

from __future__ import annotations

from django.conf import settings

from identity.vision import FaceEngine, get_engine
from identity.vision.registry import resolve_model, verify_checksum


def get_face_engine() -> FaceEngine:
    """The process-wide engine of ``settings.FACEAPP_ENGINE``; its models load on first use, not here."""
    return get_engine(settings.FACEAPP_ENGINE)


def model_files_status() -> dict[str, str]:
    """{"profile": name, role: "name (file)"} for the configured models, checksums verified; raises
    ModelError naming the file when one is missing or wrong. Loads no ONNX session."""
    config = get_face_engine().config
    status = {"profile": config.profile}
    for role, name in (("detector", config.detector), ("embedder", config.embedder)):
        spec = resolve_model(name, role, config.models_dir)
        verify_checksum(spec)
        status[role] = f"{spec.name} ({spec.path.name})"
    return status
