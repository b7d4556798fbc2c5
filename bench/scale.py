"""Gallery search at scale: index build time, search time per face (batch 1 and 32), recall@1
against exact float32 search, and the memory of two worker processes that memory-map one
gallery file, at 10k, 100k and 1M identities (``--sizes``), against today's float32 matrix
(every process holding its own copy, every sample scored) in the same run.

Identities (one sample each): LFW's 5,749 people first (their first photo; embeddings from
``bench/out/lfw_embeddings.npz``, which ``bench/identify.py`` writes, else a few hundred photos
embedded here), then synthetic ones: vectors drawn from a Gaussian fitted to the LFW embeddings
(their mean and covariance), normalised, so they spread like real faces do (not uniformly on
the sphere, where every distance is alike and an HNSW graph has nothing to follow).
Probes: the held-out photos of LFW people with two or more (their true person is enrolled),
and copies of enrolled synthetic identities perturbed to about 0.6 cosine (a genuine pair).

Enrolment to searchable: one more sample searchable through the incremental path
(``LiveGallery.changed``: masks and a delta in memory, then its first search), with an empty
delta and with one at ``delta_limit``, against a base rebuild (matrix, index, file write: the
build times above, measured in the same run); and a search's cost with that full delta.

recall@1: probes whose best person is exact float32 search's best person; "same decision":
probes named or left unknown alike, at threshold 0.35 and margin 0.05 (the app's defaults).
Memory: each worker process opens the gallery (``Gallery.open``: one memory-mapped file, or
for today's matrix ``Gallery`` on a private float32 copy), searches every probe, then reads
RSS and PSS from /proc/self/smaps_rollup while the other worker is still alive (PSS splits a
shared page between the processes that map it). "bare" is a worker that imports the same
modules and opens nothing.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/scale.py   # 10k, 100k, 1M: ~2 min, 2.8 GB at most
    .venv/bin/python bench/scale.py --sizes 2000 --probes 100   # quick
    .venv/bin/python bench/scale.py --sizes 10000,100000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from worker_memory import two_workers_memory, worker_measured  # noqa: E402

from identity.matching import Gallery, PersonMatch  # noqa: E402
from identity.matching.live_gallery import LiveGallery, SampleRows, delta_limit  # noqa: E402
from identity.vision.embedder import l2_normalize  # noqa: E402

DEFAULT_LFW = ROOT.parent / "shared" / "faces" / "lfw"
DEFAULT_CACHE = ROOT / "bench" / "out" / "lfw_embeddings.npz"
SIZES = (10_000, 100_000, 1_000_000)
BATCHES = (1, 32)
THRESHOLD, MARGIN = 0.35, 0.05
GENUINE = 0.6  # cosine of a synthetic probe to its enrolled identity
MATRIX_WORKERS_UP_TO = 200_000  # above, two private float32 copies pass this machine's 4 GB budget
HNSW_UP_TO = 200_000  # --compare-hnsw: the graph takes ~3 min to build at 100k on 2 cores
EMBED_LIMIT = 300  # LFW people embedded here when there is no cache (known and single-photo each)


def lfw_embeddings(lfw: Path, cache_path: Path, *, limit: int = EMBED_LIMIT) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(enrolled (people, d), probes (photos, d), probe rows in enrolled): LFW's people with
    their first photo enrolled, and the other photos of those with two or more as probes."""
    from identify import EmbeddingCache, embed_missing, split_lfw

    from identity.vision import EngineConfig, get_engine

    engine = get_engine(EngineConfig.from_env(intra_op_threads=2, inter_op_threads=1))
    cache = EmbeddingCache(cache_path, engine.model_id)
    split = split_lfw(lfw / "images", None)
    if cache.missing(split.images):
        split = split_lfw(lfw / "images", limit)
        embed_missing(engine, split.images, lfw / "images", cache)
    vectors = lambda names: l2_normalize(np.stack([cache.embeddings[n] for n in names]))  # noqa: E731
    return (vectors(split.enrolled + split.strangers), vectors(split.known_probes),
            np.asarray(split.known_probe_person, np.int64))


def gallery_vectors(real: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """`size` unit rows: the real embeddings first, then synthetic ones drawn from a Gaussian with
    the real ones' mean and covariance, normalised; filled in place (1M rows are 2 GB)."""
    vectors = np.empty((size, real.shape[1]), np.float32)
    vectors[: len(real)] = real[:size]
    mean, covariance = real.mean(axis=0), np.cov(real, rowvar=False)
    factor = np.linalg.cholesky(covariance + 1e-6 * np.eye(len(mean))).astype(np.float32)
    for start in range(len(real), size, 100_000):
        chunk = mean + rng.standard_normal((min(100_000, size - start), len(mean)), np.float32) @ factor.T
        vectors[start : start + len(chunk)] = l2_normalize(chunk)
    return vectors


def perturbed(vectors: np.ndarray, similarity: float, rng: np.random.Generator) -> np.ndarray:
    """Copies of unit `vectors` at about `similarity` cosine (isotropic noise added)."""
    noise = l2_normalize(rng.standard_normal(vectors.shape).astype(np.float32))
    return l2_normalize(vectors + np.sqrt(1 / similarity**2 - 1) * noise)


def median_ms_per_face(search, queries: np.ndarray, batch: int, *, budget_s: float = 4.0) -> float:
    """Median time of `search` on consecutive batches of `queries`, per face; stops after `budget_s`."""
    search(queries[:batch])  # warm-up: first touches of the mapped pages, thread pools
    times, started = [], time.perf_counter()
    for start in range(0, len(queries) - batch + 1, batch):
        began = time.perf_counter()
        search(queries[start : start + batch])
        times.append((time.perf_counter() - began) / batch)
        if time.perf_counter() - started > budget_s and len(times) >= 5:
            break
    return 1000 * statistics.median(times)


def agreement(found: list[PersonMatch], exact: list[PersonMatch]) -> dict:
    decide = lambda m: m.person_id if m.is_known(threshold=THRESHOLD, margin=MARGIN) else None  # noqa: E731
    return {"recall_at_1": float(np.mean([a.person_id == b.person_id for a, b in zip(found, exact)])),
            "same_decision": float(np.mean([decide(a) == decide(b) for a, b in zip(found, exact)]))}


def hnsw_comparison(vectors: np.ndarray, queries: np.ndarray, exact_rows: np.ndarray) -> dict:
    """The candidate stage alone, binary scan against faiss's HNSW graph (8-bit rows, M 32,
    efConstruction 128, efSearch 256), same rows and probes: how often the exact best row is
    among the BINARY_CANDIDATES candidates, time per face (batch 1), build time."""
    import faiss

    from identity.matching.search_index import BINARY_CANDIDATES, sign_codes

    k, found = BINARY_CANDIDATES, {}
    codes = sign_codes(vectors)
    graph = faiss.IndexHNSWSQ(vectors.shape[1], faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = 128
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    graph.train(vectors)
    graph.add(vectors)
    found["hnsw_build_s"] = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    params = faiss.SearchParametersHNSW(efSearch=256)
    stages = {"binary": lambda q: faiss.knn_hamming(sign_codes(q), codes, k)[1],
              "hnsw": lambda q: graph.search(q, k, params=params)[1]}
    for name, stage in stages.items():
        rows = stage(queries)
        found[f"{name}_in_candidates"] = float(np.mean([e in r for e, r in zip(exact_rows, rows)]))
        found[f"{name}_candidates_ms_b1"] = median_ms_per_face(stage, queries, 1, budget_s=3.0)
    return found


def worker(mode: str, path: str, queries_path: str) -> None:
    """One worker process: open the gallery as `mode` says, search every probe, wait, measure."""
    queries = np.load(queries_path)
    if mode == "mapped":
        gallery = Gallery.open(Path(path))
        gallery.search(queries)
    elif mode == "matrix":  # today: every process loads the rows into its own float32 matrix
        mapped = Gallery.open(Path(path))
        gallery = Gallery(np.array(mapped.matrix), mapped.person_ids)  # one sample per identity here
        del mapped
        for start in range(0, len(queries), 32):
            gallery.search(queries[start : start + 32], exact=True)
    worker_measured()


def measure(size: int, real: np.ndarray, probes: np.ndarray, probe_rows: np.ndarray, *, rng: np.random.Generator,
            folder: Path, probe_count: int, compare_hnsw: bool = False) -> dict:
    """One gallery size: build, search times, recall, worker memory."""
    vectors = gallery_vectors(real, size, rng)
    ids = np.arange(len(vectors))
    synthetic_probes = perturbed(vectors[rng.integers(min(size, len(real)), size, probe_count // 2)], GENUINE, rng) \
        if size > len(real) else np.zeros((0, vectors.shape[1]), np.float32)
    lfw_probes = probes[probe_rows < size][: probe_count - len(synthetic_probes)]
    queries = np.vstack([lfw_probes, synthetic_probes]).astype(np.float32)
    row = {"identities": size, "lfw": min(size, len(real)), "synthetic": max(0, size - len(real)),
           "probes_lfw": len(lfw_probes), "probes_synthetic": len(synthetic_probes)}

    started = time.perf_counter()
    built = Gallery(vectors, ids, sample_ids=ids)
    row["matrix_build_s"] = time.perf_counter() - started  # today's: normalise and sort the rows
    started = time.perf_counter()
    row["index"] = built.index.kind
    row["index_build_s"] = time.perf_counter() - started
    path = folder / f"gallery-{size}.file"
    started = time.perf_counter()
    built.save(path)
    row["file_write_s"] = time.perf_counter() - started
    row["file_mb"] = path.stat().st_size / 2**20
    if compare_hnsw:
        exact_rows = np.array([m.person_id for start in range(0, len(queries), 32)  # ids are the rows here
                               for m in built.search(queries[start : start + 32], exact=True)])
        row |= hnsw_comparison(vectors, queries, exact_rows)
    del built, vectors  # from here on, only what a worker has: the mapped file

    gallery = Gallery.open(path)  # what a worker searches
    row |= enrolment_to_searchable(gallery, queries, rng)
    exact = [m for start in range(0, len(queries), 32) for m in gallery.search(queries[start : start + 32], exact=True)]
    row |= agreement(gallery.search(queries), exact)
    for batch in BATCHES:
        index_ms = median_ms_per_face(gallery.search, queries, batch)
        exact_ms = median_ms_per_face(lambda q: gallery.search(q, exact=True), queries, batch,
                                      budget_s=2.0 if batch == 1 else 4.0)
        row |= {f"ms_b{batch}": index_ms, f"matrix_ms_b{batch}": exact_ms, f"speedup_b{batch}": exact_ms / index_ms}
    queries_path = folder / f"queries-{size}.npy"
    np.save(queries_path, queries)
    # Today's matrix in two workers is two private float32 copies: measured up to MATRIX_WORKERS_UP_TO.
    row["memory"] = two_workers_memory(__file__, ["bare", "mapped"] + ["matrix"] * (size <= MATRIX_WORKERS_UP_TO),
                                       str(path), str(queries_path))
    path.unlink()
    return row


def enrolment_to_searchable(gallery: Gallery, queries: np.ndarray, rng: np.random.Generator) -> dict:
    """ms for one added sample to be searchable incrementally (empty delta; delta at its limit),
    and the search time a face with that full delta (batch 1)."""
    def rows(count: int, first_id: int) -> SampleRows:
        vectors = l2_normalize(rng.standard_normal((count, gallery.dim)).astype(np.float32))
        ids = np.arange(first_id, first_id + count, dtype=np.int64)
        return SampleRows(ids, ids, vectors, vectors)

    found = {}
    start_id = 10**9
    for name, view in (("empty", LiveGallery(gallery, version="g:0")),
                       ("full", LiveGallery(gallery, version="g:0").changed(
                           version="g:1", added=rows(delta_limit(len(gallery.matrix)) - 1, start_id)))):
        times = []
        for attempt in range(5):
            added = rows(1, 2 * start_id + attempt)
            began = time.perf_counter()
            view.changed(version="g:2", added=added).search(added.embeddings)
            times.append(time.perf_counter() - began)
        found[f"delta_{name}_add_ms"] = 1000 * statistics.median(times)
        if name == "full":
            found["delta_full_ms_b1"] = median_ms_per_face(view.search, queries, 1, budget_s=2.0)
    found["delta_rows"] = delta_limit(len(gallery.matrix))
    return found


def report(rows: list[dict]) -> None:
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"\nGallery search at scale (one sample per identity; OPENBLAS_NUM_THREADS={threads}):")
    head = (f"{'identities':>10} {'index':>8} {'index s':>8} {'file s':>7} {'file MB':>8} {'b1 ms':>7} {'b32 ms':>7} "
            f"{'f32 b1':>7} {'f32 b32':>8} {'x b1':>6} {'x b32':>6} {'recall@1':>9} {'same dec.':>9}")
    print(head)
    for r in rows:
        print(f"{r['identities']:>10} {r['index']:>8} {r['index_build_s']:>8.2f} {r['file_write_s']:>7.2f} {r['file_mb']:>8.0f} "
              f"{r['ms_b1']:>7.3f} {r['ms_b32']:>7.3f} {r['matrix_ms_b1']:>7.2f} {r['matrix_ms_b32']:>8.3f} "
              f"{r['speedup_b1']:>6.0f} {r['speedup_b32']:>6.1f} {r['recall_at_1']:>9.4f} {r['same_decision']:>9.4f}")
    print(f"\nMemory of two worker processes, MB (RSS each / PSS each / PSS both; matrix: up to "
          f"{MATRIX_WORKERS_UP_TO} identities, above two private float32 copies pass 4 GB):")
    for r in rows:
        parts = [f"{mode} {m['rss_mb'][0]:.0f}+{m['rss_mb'][1]:.0f} / {m['pss_mb'][0]:.0f}+{m['pss_mb'][1]:.0f} / "
                 f"{m['pss_total_mb']:.0f}" for mode, m in r["memory"].items()]
        print(f"{r['identities']:>10}: " + "; ".join(parts))
    print("\nEnrolment to searchable: one added sample, ms (incremental, empty delta / delta at its limit) "
          "against a base rebuild (build + index + write), and search ms a face (batch 1) with the full delta:")
    for r in rows:
        rebuild_ms = 1000 * (r["matrix_build_s"] + r["index_build_s"] + r["file_write_s"])
        print(f"{r['identities']:>10}: {r['delta_empty_add_ms']:.2f} / {r['delta_full_add_ms']:.2f} ms "
              f"({r['delta_rows']} rows) vs rebuild {rebuild_ms:.0f} ms; search {r['ms_b1']:.3f} ms, "
              f"with the full delta {r['delta_full_ms_b1']:.3f} ms")
    compared = [r for r in rows if "hnsw_build_s" in r]
    if compared:
        print("\nCandidate stage alone: exact best among the candidates / ms a face (batch 1) / build s:")
    for r in compared:
        print(f"{r['identities']:>10}: binary {r['binary_in_candidates']:.4f} / {r['binary_candidates_ms_b1']:.3f} ms; "
              f"HNSW {r['hnsw_in_candidates']:.4f} / {r['hnsw_candidates_ms_b1']:.3f} ms / {r['hnsw_build_s']:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="identities per gallery, comma-separated")
    parser.add_argument("--probes", type=int, default=1000, help="probes per size (half LFW, half synthetic)")
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (images/<Name>/<Name>_NNNN.jpg)")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="LFW embedding cache (.npz, bench/identify.py's)")
    parser.add_argument("--limit", type=int, default=EMBED_LIMIT,
                        help="without a full cache: LFW people to embed (known and single-photo, each)")
    parser.add_argument("--compare-hnsw", action="store_true",
                        help=f"also time faiss's HNSW graph as the candidate stage (sizes up to {HNSW_UP_TO})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "GALLERY", "QUERIES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker)

    real, probes, probe_rows = lfw_embeddings(Path(args.lfw), Path(args.cache), limit=args.limit)
    print(f"LFW: {len(real)} identities, {len(probes)} held-out photos of {len(set(probe_rows.tolist()))} of them",
          flush=True)
    rng = np.random.default_rng(args.seed)
    rows = []
    with tempfile.TemporaryDirectory(prefix="faceapp-scale-") as folder:
        for size in (int(s) for s in args.sizes.split(",")):
            started = time.perf_counter()
            rows.append(measure(size, real, probes, probe_rows, rng=rng, folder=Path(folder), probe_count=args.probes,
                                compare_hnsw=args.compare_hnsw and size <= HNSW_UP_TO))
            print(f"  {size} identities measured in {time.perf_counter() - started:.0f} s", flush=True)
    report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
