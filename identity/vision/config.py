"""The engine's configuration: which models, which thresholds, which flip mode; from the
environment or from keyword arguments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from .adaptive import ADAPTIVE, DEFAULT_FLIP_BAND, flip_mode
from .image import DEFAULT_MAX_PIXELS
from .profiles import DEFAULT_PROFILE, PROFILES, model_profile

DEFAULT_THRESHOLD = PROFILES[DEFAULT_PROFILE].threshold  # w600k_mbf's, chosen on LFW View 1: bench/README.md


@dataclass(frozen=True)
class EngineConfig:
    """Everything that selects and tunes the models; hashable, so engines can be cached by it."""

    models_dir: str | None = None  # None: the repository's models/ folder
    profile: str = DEFAULT_PROFILE  # the named choice below came from (identity.vision.profiles)
    detector: str = PROFILES[DEFAULT_PROFILE].detector
    embedder: str = PROFILES[DEFAULT_PROFILE].embedder
    threshold: float = DEFAULT_THRESHOLD  # cosine similarity at or above which two faces are the same person
    # "adaptive" (mirrored only where a decision is close: flip's accuracy at plain's cost, bench/README.md),
    # "plain" or "flip" (twice the embedding cost); True/False are accepted
    flip: str = ADAPTIVE
    # A decision this close to its threshold is close: adaptive mirrors its faces, compare says "too close to call"
    flip_band: float = DEFAULT_FLIP_BAND
    intra_op_threads: int = 0  # 0: ONNX Runtime's default (one per core)
    inter_op_threads: int = 0
    max_pixels: int = DEFAULT_MAX_PIXELS
    det_score_threshold: float = 0.5
    det_max_size: int = 640  # detector input long side cap
    det_min_size: int = 160  # detector input long side floor
    # Photos (not camera frames): the smallest face to find, in image pixels; a large photo gets
    # more detector passes for it (identity.vision.distance). 0: the usual single pass; None: the
    # name size (min_name_px), so that every face that can be named is found.
    min_face_px: int | None = None
    # Faces smaller than this (smaller side, image pixels) are too small to name; None: the
    # embedder's own measured size (identity.vision.embedder.MIN_NAME_PX).
    min_name_px: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "flip", flip_mode(self.flip))  # one spelling per mode: equal configs hash alike
        if not self.flip_band >= 0:
            raise ValueError(f"flip_band must be 0 or more, got {self.flip_band!r}")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, defaults: Mapping[str, object] | None = None, **overrides
    ) -> "EngineConfig":
        """``defaults`` (else the fields' own) overridden by the profile's detector, embedder,
        threshold and flip band (``profile=`` among the overrides, else FACEAPP_PROFILE, else ``defaults``'),
        then by FACEAPP_DETECTOR, FACEAPP_EMBEDDER, FACEAPP_THRESHOLD, FACEAPP_FLIP, FACEAPP_FLIP_BAND,
        FACEAPP_ORT_THREADS, FACEAPP_MAX_PIXELS, FACEAPP_MIN_FACE_PX, FACEAPP_MIN_NAME_PX,
        FACEAPP_MODELS_DIR, then by ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = dict(defaults or {})
        name = str(overrides.get("profile") or (env.get("FACEAPP_PROFILE") or "").strip()
                   or values.get("profile") or DEFAULT_PROFILE)
        try:
            profile = model_profile(name)
        except ValueError as exc:
            raise ValueError(f"bad value for FACEAPP_PROFILE: {exc}") from None
        values.update(profile=profile.name, detector=profile.detector, embedder=profile.embedder,
                      threshold=profile.threshold, flip_band=profile.flip_band)
        readers = {
            "FACEAPP_DETECTOR": ("detector", str),
            "FACEAPP_EMBEDDER": ("embedder", str),
            "FACEAPP_MODELS_DIR": ("models_dir", str),
            "FACEAPP_THRESHOLD": ("threshold", float),
            "FACEAPP_FLIP": ("flip", flip_mode),
            "FACEAPP_FLIP_BAND": ("flip_band", float),
            "FACEAPP_ORT_THREADS": ("intra_op_threads", int),
            "FACEAPP_MAX_PIXELS": ("max_pixels", int),
            "FACEAPP_MIN_FACE_PX": ("min_face_px", int),
            "FACEAPP_MIN_NAME_PX": ("min_name_px", int),
        }
        for name, (attr, convert) in readers.items():
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[attr] = convert(raw.strip())
            except ValueError as exc:
                raise ValueError(f"bad value for {name}: {raw!r} ({exc})") from None
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known | set(overrides) - known
        if unknown:
            raise TypeError(f"unknown EngineConfig fields: {', '.join(sorted(unknown))}")
        values.update(overrides)
        return cls(**values)
