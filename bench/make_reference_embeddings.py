"""Compute reference embeddings with insightface itself, for tests/fixtures/insightface_reference.json.

Runs insightface's own ``FaceAnalysis`` (detection + recognition) on the
committed fixture photos, loaded offline from the same two ONNX files the
engine uses, and stores each photo's largest face (box, keypoints, embedding).
``tests/test_vision_engine.py`` then checks our embeddings against these
vectors without needing insightface installed.

    .venv/bin/pip install -r bench/requirements.txt
    .venv/bin/python bench/make_reference_embeddings.py

Also provides :func:`insightface_app`, used by ``bench/lfw.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity.vision.registry import resolve_model  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
REFERENCE_PHOTOS = ["lfw_person_a_1.jpg", "lfw_person_a_2.jpg", "lfw_person_b_1.jpg", "bbt_group.jpg"]


def insightface_app(threads: int = 1, det_size: tuple[int, int] = (640, 640), workdir: str | None = None):
    """insightface FaceAnalysis (detection + recognition) built offline from our two model files.

    insightface looks for ``<root>/models/<name>/*.onnx``: we point its root at a
    temporary folder holding symlinks to the files the manifest resolves, then
    swap in CPU sessions with ``threads`` intra-op threads so both pipelines run
    with the same thread count. The detector's session is wrapped so its outputs
    lose the batch axis that insightface 0.7.3 does not expect.
    """
    import onnxruntime as ort
    from insightface.app import FaceAnalysis

    detector = resolve_model("", "detector")
    embedder = resolve_model("", "embedder")
    root = Path(workdir or tempfile.mkdtemp(prefix="insightface_root_"))
    pack = root / "models" / "faceapp_pack"
    pack.mkdir(parents=True, exist_ok=True)
    for name, spec in (("det_500m.onnx", detector), ("w600k_mbf.onnx", embedder)):
        link = pack / name
        if not link.exists():
            link.symlink_to(spec.path)
    app = FaceAnalysis(
        name="faceapp_pack", root=str(root), allowed_modules=["detection", "recognition"],
        providers=["CPUExecutionProvider"],
    )
    app.prepare(ctx_id=-1, det_size=det_size)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = threads
    for task, model in app.models.items():
        session = ort.InferenceSession(model.model_file, sess_options=options, providers=["CPUExecutionProvider"])
        model.session = _UnbatchedOutputs(session) if task == "detection" else session
    if workdir is None:  # the sessions hold the weights now: the symlink folder is no longer needed
        shutil.rmtree(root, ignore_errors=True)
    return app


class _UnbatchedOutputs:
    """Session wrapper dropping the leading batch axis of the detector's outputs.

    This SCRFD export has outputs shaped (batch, anchors, k); insightface 0.7.3
    decodes (anchors, k) only. Removing the batch axis of 1 is the whole
    adaptation: insightface's own pre- and post-processing run unchanged.
    """

    def __init__(self, session):
        self._session = session

    def run(self, output_names, feed):
        return [out[0] if out.ndim == 3 else out for out in self._session.run(output_names, feed)]

    def __getattr__(self, name):
        return getattr(self._session, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(FIXTURES / "insightface_reference.json"))
    args = parser.parse_args()

    import cv2
    import insightface

    app = insightface_app(threads=1)
    records = []
    for name in REFERENCE_PHOTOS:
        image = cv2.imread(str(FIXTURES / name))
        faces = app.get(image)
        if not faces:
            raise SystemExit(f"insightface found no face in {name}")
        largest = max(faces, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))
        embedding = largest.embedding / np.linalg.norm(largest.embedding)
        records.append({
            "photo": name,
            "faces_found": len(faces),
            "box": [round(float(v), 2) for v in largest.bbox],
            "keypoints": [[round(float(x), 2), round(float(y), 2)] for x, y in largest.kps],
            "det_score": round(float(largest.det_score), 4),
            "embedding": [round(float(v), 6) for v in embedding],
        })
    payload = {
        "about": "largest face per photo, insightface FaceAnalysis(det_size=640x640), unit-length embedding",
        "insightface_version": insightface.__version__,
        "detector": "scrfd_500m_bnkps",
        "embedder": "w600k_mbf",
        "faces": records,
    }
    Path(args.out).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(records)} reference faces to {args.out}")


if __name__ == "__main__":
    main()
