"""Search by photo at scale: the logged faces most like a probe (top 20), at 10k and 100k logged
faces (``--sizes``), the old way and the new one in the same run.

- old: every worker process holds the logged faces as its own float32 matrix and scores all of
  them; it rebuilt that matrix from the database whenever faces were logged (nearly every search
  while cameras run): "rebuild" times only the part after the database read (decoding and
  normalising every stored embedding), a lower bound.
- new (identity.matching.logged_index): one file per version, memory-mapped by every worker (log
  ids, the gallery's index: exact float16 up to 10k faces, sign bits above, float32 rows read
  with pread for the re-rank; the sign-bit index asked for SIGN_CANDIDATES, and here also for
  the gallery's 256), plus an exact delta of DELTA faces logged since the build.

Logged faces: LFW's people (first photo; ``bench/out/lfw_embeddings.npz`` as bench/scale.py
reads it, else a few hundred photos embedded here) then synthetic ones drawn like theirs
(bench/scale.py's ``gallery_vectors``). Probes: LFW's held-out photos of those people, and
synthetic faces perturbed to about 0.6 cosine. recall@20: of the exact float32 top 20, the share
found; "close": the same for the exact top 20 at cosine >= CLOSE (faces that could be the same
person); top-1: probes whose first answer is the exact one. Memory: two worker processes that
open the faces and search every probe, RSS and PSS read while both are alive (bench/scale.py's
``two_workers_memory`` way).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/log_search.py   # 10k and 100k: ~3 min
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import (  # noqa: E402
    DEFAULT_CACHE,
    DEFAULT_LFW,
    EMBED_LIMIT,
    GENUINE,
    gallery_vectors,
    lfw_embeddings,
    median_ms_per_face,
    perturbed,
)
from worker_memory import two_workers_memory, worker_measured  # noqa: E402

from identity.matching.logged_index import SIGN_CANDIDATES, LoggedIndex, exact_top, merged  # noqa: E402
from identity.matching.search_index import BINARY_CANDIDATES  # noqa: E402
from identity.vision.embedder import l2_normalize  # noqa: E402

SIZES = (10_000, 100_000)
K = 20
DELTA = 500  # faces logged since the file was built, searched exactly beside it
CLOSE = 0.3
FEWER = BINARY_CANDIDATES  # also measured: the sign-bit index asked for the gallery's candidates only


def old_search(matrix: np.ndarray, ids: np.ndarray, queries: np.ndarray) -> list[np.ndarray]:
    return [exact_top(ids, matrix, q, K)[0] for q in queries]


def new_search(base: LoggedIndex, delta: tuple, queries: np.ndarray, candidates: int = SIGN_CANDIDATES
               ) -> list[np.ndarray]:
    return [merged(base.top(q, K, candidates=candidates), exact_top(*delta, q, K), k=K)[0] for q in queries]


def recall(found: list[np.ndarray], exact: list[np.ndarray], exact_scores: list[np.ndarray]) -> dict:
    close = [(set(f.tolist()), set(e[s >= CLOSE].tolist())) for f, e, s in zip(found, exact, exact_scores)]
    close = [(f, e) for f, e in close if e]
    return {"recall_at_20": float(np.mean([len(set(f.tolist()) & set(e.tolist())) / K for f, e in zip(found, exact)])),
            "close_recall": float(np.mean([len(f & e) / len(e) for f, e in close])) if close else 1.0,
            "top1": float(np.mean([f[0] == e[0] for f, e in zip(found, exact)]))}


def worker(mode: str, folder: str) -> None:
    """One worker process: open the logged faces as `mode` says, search every probe, wait, measure."""
    folder = Path(folder)
    queries = np.load(folder / "queries.npy")
    if mode == "new":
        base = LoggedIndex.open(folder / "logs.faces")
        delta = np.load(folder / "delta_ids.npy"), np.load(folder / "delta.npy")
        new_search(base, delta, queries)
    elif mode == "old":  # its own float32 matrix, every face scored
        mapped = LoggedIndex.open(folder / "logs.faces")
        matrix = np.vstack([np.array(mapped.matrix), np.load(folder / "delta.npy")])
        ids = np.concatenate([mapped.ids, np.load(folder / "delta_ids.npy")])
        del mapped
        old_search(matrix, ids, queries)
    worker_measured()


def measure(size: int, real: np.ndarray, probes: np.ndarray, probe_rows: np.ndarray, *, rng: np.random.Generator,
            folder: Path, probe_count: int) -> dict:
    vectors = gallery_vectors(real, size + DELTA, rng)
    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)
    synthetic = perturbed(vectors[rng.integers(len(real), len(vectors), probe_count // 2)], GENUINE, rng)
    queries = np.vstack([probes[probe_rows < size][: probe_count - len(synthetic)], synthetic]).astype(np.float32)
    row = {"logged": size, "delta": DELTA, "probes": len(queries)}

    blobs = [v.tobytes() for v in vectors[:size]]  # what the old way read from the database
    started = time.perf_counter()
    l2_normalize(np.stack([np.frombuffer(b, np.float32) for b in blobs]))
    row["old_rebuild_s"] = time.perf_counter() - started
    del blobs

    started = time.perf_counter()
    built = LoggedIndex.build(ids[:size], vectors[:size], meta={})
    built.save(folder / "logs.faces")
    row |= {"index": built.index.kind, "build_s": time.perf_counter() - started,
            "file_mb": (folder / "logs.faces").stat().st_size / 2**20}
    del built
    delta = ids[size:], vectors[size:]
    np.save(folder / "delta_ids.npy", delta[0])
    np.save(folder / "delta.npy", delta[1])
    np.save(folder / "queries.npy", queries)

    exact = [exact_top(ids, vectors, q, K) for q in queries]
    old_ms = median_ms_per_face(lambda q: old_search(vectors, ids, q), queries, 1, budget_s=3.0)
    base = LoggedIndex.open(folder / "logs.faces")  # what a worker searches
    row |= {"old_ms": old_ms, "new_ms": median_ms_per_face(lambda q: new_search(base, delta, q), queries, 1),
            **recall(new_search(base, delta, queries), [e[0] for e in exact], [e[1] for e in exact])}
    if row["index"] == "binary":
        fewer = recall(new_search(base, delta, queries, FEWER), [e[0] for e in exact], [e[1] for e in exact])
        row |= {"fewer_ms": median_ms_per_face(lambda q: new_search(base, delta, q, FEWER), queries, 1),
                **{f"fewer_{name}": value for name, value in fewer.items()}}
    row["memory"] = two_workers_memory(__file__, ["bare", "new", "old"], str(folder))
    return row


def report(rows: list[dict]) -> None:
    print(f"\nSearch by photo, top {K} logged faces a probe (+{DELTA} faces logged since the file was built):")
    print(f"{'logged':>8} {'index':>8} {'build s':>8} {'file MB':>8} {'old ms':>7} {'old rebuild s':>14} {'new ms':>7} "
          f"{'recall@20':>10} {f'close>={CLOSE}':>10} {'top-1':>6}")
    for r in rows:
        print(f"{r['logged']:>8} {r['index']:>8} {r['build_s']:>8.2f} {r['file_mb']:>8.0f} {r['old_ms']:>7.2f} "
              f"{r['old_rebuild_s']:>14.2f} {r['new_ms']:>7.2f} {r['recall_at_20']:>10.4f} {r['close_recall']:>10.4f} "
              f"{r['top1']:>6.3f}")
        if "fewer_ms" in r:
            print(f"{'':>8} {f'binary, {FEWER} candidates (not {SIGN_CANDIDATES}):':>45} {r['fewer_ms']:>7.2f} "
                  f"{r['fewer_recall_at_20']:>10.4f} {r['fewer_close_recall']:>10.4f} {r['fewer_top1']:>6.3f}")
    print("\nMemory of two worker processes, MB (RSS each / PSS each / PSS both):")
    for r in rows:
        parts = [f"{mode} {m['rss_mb'][0]:.0f}+{m['rss_mb'][1]:.0f} / {m['pss_mb'][0]:.0f}+{m['pss_mb'][1]:.0f} / "
                 f"{m['pss_total_mb']:.0f}" for mode, m in r["memory"].items()]
        print(f"{r['logged']:>8}: " + "; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="logged faces, comma-separated")
    parser.add_argument("--probes", type=int, default=400, help="probes per size (half LFW, half synthetic)")
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (images/<Name>/<Name>_NNNN.jpg)")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="LFW embedding cache (.npz, bench/identify.py's)")
    parser.add_argument("--limit", type=int, default=EMBED_LIMIT, help="without a full cache: LFW people to embed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)

    real, probes, probe_rows = lfw_embeddings(Path(args.lfw), Path(args.cache), limit=args.limit)
    print(f"LFW: {len(real)} identities, {len(probes)} held-out photos", flush=True)
    rng = np.random.default_rng(args.seed)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="faceapp-logs-") as folder:
            rows.append(measure(size, real, probes, probe_rows, rng=rng, folder=Path(folder), probe_count=args.probes))
        print(f"  {size} logged faces measured in {time.perf_counter() - started:.0f} s", flush=True)
    report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
