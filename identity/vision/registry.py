"""Model registry: which ONNX file plays which role, and how to feed it.

``models/manifest.json`` names each model (file, sha256, role, input size,
normalisation, licence). A model is selected by name: a manifest entry, or a
bare ``<name>.onnx`` dropped into ``models/`` (its settings are then inferred
from the role and from the model's own input shape, and no checksum is
checked). Files are looked up in ``models/`` first, then inside the installed
package named by the entry's ``package`` field; that package is located with
``importlib.util.find_spec`` and never imported.

Every problem is a :class:`ModelError` whose message names the file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort

ROLES = ("detector", "embedder")
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
MANIFEST_NAME = "manifest.json"

# Settings assumed for a bare .onnx file, by role (insightface's conventions).
ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "detector": {"mean": 127.5, "std": 128.0, "swap_rb": True, "input_size": None, "family": "scrfd"},
    "embedder": {"mean": 127.5, "std": 127.5, "swap_rb": True, "input_size": [112, 112], "family": "arcface"},
}
RUNTIMES = ("onnxruntime", "opencv")  # opencv: files ONNX Runtime refuses (block-quantised int8), run by cv2


class ModelError(RuntimeError):
    """A model cannot be used: unknown name, missing file, bad checksum or shape."""


DEFAULT_EMBEDDING_SIZE = 512  # ArcFace's, for an embedder the manifest does not describe


@dataclass(frozen=True)
class ModelSpec:
    """One model as the engine needs to know it."""

    name: str
    role: str
    path: Path
    sha256: str | None
    input_size: tuple[int, int] | None  # (width, height); None = dynamic
    mean: float
    std: float
    swap_rb: bool
    licence: str
    embedding_size: int | None = None
    family: str = ""  # which class decodes it: scrfd or yunet (detectors), arcface or sface (embedders)
    runtime: str = "onnxruntime"

    @property
    def width(self) -> int:
        """An embedder's output width: the manifest's, else ArcFace's 512."""
        return self.embedding_size or DEFAULT_EMBEDDING_SIZE


def load_manifest(models_dir: Path) -> dict[str, Any]:
    """Read ``models_dir/manifest.json``; an absent manifest is an empty one."""
    path = Path(models_dir) / MANIFEST_NAME
    if not path.exists():
        return {"defaults": {}, "models": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read the model manifest: {exc}") from exc
    if not isinstance(data.get("models", {}), dict):
        raise ModelError(f"{path}: 'models' must be an object of name -> entry")
    data.setdefault("defaults", {})
    data.setdefault("models", {})
    return data


def package_dir(package: str) -> Path | None:
    """Directory of an installed package, found without importing it."""
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(list(found.submodule_search_locations)[0])


def _locate(models_dir: Path, entry: dict[str, Any], name: str) -> Path:
    filename = entry.get("file") or f"{name}.onnx"
    local = models_dir / filename
    if local.is_file():
        return local
    package = entry.get("package")
    if package:
        root = package_dir(package)
        if root is not None:
            candidate = root / entry.get("package_dir", "") / filename
            if candidate.is_file():
                return candidate
        raise ModelError(
            f"model file {filename!r} for model {name!r} not found: looked in {local} "
            f"and in the installed package {package!r}"
            + ("" if root else f" (package {package!r} is not installed)")
        )
    raise ModelError(f"model file {local} for model {name!r} not found")


def _key(manifest: dict[str, Any], name: str, role: str, models_dir: Path) -> str:
    name = name or manifest["defaults"].get(role, "")
    if not name:
        raise ModelError(f"no {role} model named and no default in {models_dir / MANIFEST_NAME}")
    key = name[:-5] if name.endswith(".onnx") else name
    return manifest.get("aliases", {}).get(key, key)


def model_name(name: str, role: str, models_dir: Path | str | None = None) -> str:
    """The manifest's own name for ``name`` (a default, an alias such as "yunet", or a file
    name), without locating the file: what a sample's model_id records."""
    models_dir = Path(models_dir) if models_dir else DEFAULT_MODELS_DIR
    return _key(load_manifest(models_dir), name, role, models_dir)


def resolve_model(name: str, role: str, models_dir: Path | str | None = None) -> ModelSpec:
    """Find model ``name`` (manifest entry, alias or bare ``.onnx`` file) for ``role``."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    models_dir = Path(models_dir) if models_dir else DEFAULT_MODELS_DIR
    manifest = load_manifest(models_dir)
    key = _key(manifest, name, role, models_dir)
    entry = manifest["models"].get(key)
    if entry is None:
        bare = models_dir / f"{key}.onnx"
        if not bare.is_file():
            known = ", ".join(sorted(manifest["models"])) or "none"
            raise ModelError(
                f"unknown {role} model {name!r}: not in {models_dir / MANIFEST_NAME} "
                f"(known: {known}) and no file {bare}"
            )
        entry = {"role": role, "file": bare.name, "licence": "unknown (bare file)"}
        entry = {**ROLE_DEFAULTS[role], **entry}
    if entry.get("role") != role:
        raise ModelError(f"model {key!r} ({entry.get('file')}) is a {entry.get('role')}, not a {role}")
    defaults = ROLE_DEFAULTS[role]
    size = entry.get("input_size", defaults["input_size"])
    runtime = entry.get("runtime", RUNTIMES[0])
    if runtime not in RUNTIMES:
        raise ModelError(f"model {key!r} ({entry.get('file')}): runtime must be one of {RUNTIMES}, not {runtime!r}")
    return ModelSpec(
        name=key,
        role=role,
        path=_locate(models_dir, entry, key),
        sha256=entry.get("sha256"),
        input_size=tuple(int(v) for v in size) if size else None,
        mean=float(entry.get("mean", defaults["mean"])),
        std=float(entry.get("std", defaults["std"])),
        swap_rb=bool(entry.get("swap_rb", defaults["swap_rb"])),
        licence=str(entry.get("licence", "unknown")),
        embedding_size=entry.get("embedding_size"),
        family=str(entry.get("family", defaults["family"])),
        runtime=runtime,
    )


_verified: dict[tuple[str, int, int], str] = {}
_verified_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(spec: ModelSpec) -> None:
    """Raise ModelError unless the file's sha256 is the manifest's (cached per file state)."""
    if not spec.sha256:
        return
    stat = spec.path.stat()
    key = (str(spec.path), stat.st_size, stat.st_mtime_ns)
    with _verified_lock:
        actual = _verified.get(key)
    if actual is None:
        actual = file_sha256(spec.path)
        with _verified_lock:
            _verified[key] = actual
    if actual.lower() != spec.sha256.lower():
        raise ModelError(
            f"checksum mismatch for {spec.path}: manifest says sha256 {spec.sha256}, "
            f"file has {actual} (corrupt download or a different model)"
        )


def create_session(spec: ModelSpec, intra_op_threads: int = 0, inter_op_threads: int = 0) -> ort.InferenceSession:
    """Checksum the file, open a CPU ONNX Runtime session and check its input shape."""
    verify_checksum(spec)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(0, int(intra_op_threads))  # 0 = ONNX Runtime's choice
    options.inter_op_num_threads = max(0, int(inter_op_threads))
    options.log_severity_level = 3  # errors only: no shape-inference warnings on stderr
    try:
        session = ort.InferenceSession(str(spec.path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelError(f"{spec.path}: not a loadable ONNX model: {exc}") from exc
    check_input_shape(spec, session)
    return session


def _is_fixed(dim: Any) -> bool:
    return isinstance(dim, int) and dim > 0


def check_input_shape(spec: ModelSpec, session: ort.InferenceSession) -> None:
    """The model must take one NCHW 3-channel image input matching the spec."""
    inputs = session.get_inputs()
    shape = list(inputs[0].shape) if inputs else []
    where = f"{spec.path} ({spec.role} {spec.name!r})"
    if len(inputs) != 1 or len(shape) != 4 or shape[1] != 3:
        raise ModelError(f"{where}: unexpected input shape {shape}; expected one [N, 3, H, W] image input")
    model_hw = shape[2:4]
    if spec.input_size is not None:
        want_w, want_h = spec.input_size
        for have, want in zip(model_hw, (want_h, want_w)):
            if _is_fixed(have) and have != want:
                raise ModelError(
                    f"{where}: unexpected input shape {shape}; the manifest expects "
                    f"{want_w}x{want_h} (width x height)"
                )
    if spec.role == "embedder" and not all(_is_fixed(d) for d in model_hw) and spec.input_size is None:
        raise ModelError(f"{where}: dynamic input shape {shape}; give input_size in the manifest")


def session_input_size(spec: ModelSpec, session: ort.InferenceSession) -> tuple[int, int] | None:
    """(width, height) the model requires, or None when its spatial input is dynamic."""
    h, w = list(session.get_inputs()[0].shape)[2:4]
    if _is_fixed(h) and _is_fixed(w):
        return int(w), int(h)
    return spec.input_size if spec.role == "embedder" else None
