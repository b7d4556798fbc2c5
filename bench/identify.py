"""Open-set identification on LFW, and gallery search time at 1k / 10k / 100k enrolled.

Protocol: each of the 1,680 people with two or more photos is enrolled with their
first photo; their other photos are probes that should get their name ("known").
The 4,069 people with a single photo are strangers: probes that should stay
"unknown". Every photo is embedded once (largest face, ``analyze(...,
fallback_center=True)``) and cached in ``bench/out/lfw_embeddings.npz`` per
model id, so reruns only redo the matching (the key is the embedder's model id only:
delete the file after changing the detector). Decisions use the production code:
``Gallery.search`` and ``PersonMatch.is_known(threshold=, margin=)``.

Reported, at faceapp's identification threshold (FACEAPP_MATCH_THRESHOLD, default 0.35;
``--threshold``) with margin 0.05 and 0:

- rank-1: known probes whose best person is right, whatever the threshold (closed set);
- DIR: known probes named, and named right (open-set detection and identification rate);
- wrong name: known probes named as somebody else;
- FAR: strangers given a name (false accept rate);

then a threshold sweep, then the time of ``Gallery.search`` per face for batches of
1 and 64 queries at 1k, 10k and 100k enrolled samples (one sample per person; the
gallery is LFW embeddings up to ~13.2k, then random unit vectors), against a naive
per-person Python loop measured in the same run at 1k. Search times depend on
NumPy's BLAS thread pool: on a busy machine a multi-threaded BLAS waits for
descheduled threads even on one query, so also try ``OPENBLAS_NUM_THREADS=1``
(the worker runs one face at a time anyway); the table header says which was used.

    .venv/bin/python bench/identify.py                # ~13.2k photos to embed the first time
    .venv/bin/python bench/identify.py --limit 50     # quick: 50 known people + 50 strangers
    .venv/bin/python bench/identify.py --threads 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from identity.matching import Gallery, PersonMatch, normalize_rows  # noqa: E402
from identity.vision import EngineConfig, FaceEngine, get_engine  # noqa: E402

DEFAULT_LFW = ROOT.parent / "shared" / "faces" / "lfw"
DEFAULT_CACHE = ROOT / "bench" / "out" / "lfw_embeddings.npz"
BATCH_IMAGES = 32
SAVE_EVERY = 1024  # images between cache writes, so an interrupted run keeps its work
SWEEP = (0.15, 0.18, 0.20, 0.22, 0.25, 0.28, 0.30, 0.35, 0.40, 0.45)
GALLERY_SIZES = (1_000, 10_000, 100_000)
QUERY_BATCHES = (1, 64)


@dataclass
class Split:
    enrolled: list[str]  # one photo per known person
    enrolled_person: list[int]
    known_probes: list[str]
    known_probe_person: list[int]
    strangers: list[str]

    @property
    def images(self) -> list[str]:
        return self.enrolled + self.known_probes + self.strangers


def split_lfw(images_dir: Path, limit: int | None) -> Split:
    """People sorted by name; `limit` keeps that many known people and that many strangers."""
    known: list[list[str]] = []
    single: list[str] = []
    for person_dir in sorted(p for p in images_dir.iterdir() if p.is_dir()):
        photos = sorted(f"{person_dir.name}/{f.name}" for f in person_dir.glob("*.jpg"))
        if len(photos) >= 2:
            known.append(photos)
        elif photos:
            single.append(photos[0])
    known, single = known[:limit], single[:limit]
    split = Split([], [], [], [], single)
    for person, photos in enumerate(known):
        split.enrolled.append(photos[0])
        split.enrolled_person.append(person)
        split.known_probes.extend(photos[1:])
        split.known_probe_person.extend([person] * (len(photos) - 1))
    return split


class EmbeddingCache:
    """Embeddings of LFW photos (relative paths), per model id, in one .npz file."""

    def __init__(self, path: Path, model_id: str):
        self.path, self.model_id = path, model_id
        self.others: dict[str, np.ndarray] = {}
        self.embeddings: dict[str, np.ndarray] = {}
        self.fallbacks: dict[str, str] = {}
        if not path.exists():
            return
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                if not key.startswith(f"{model_id}::"):
                    self.others[key] = data[key]
            prefix = f"{model_id}::"
            if prefix + "paths" in data.files:
                paths = [str(p) for p in data[prefix + "paths"]]
                self.embeddings = dict(zip(paths, data[prefix + "embeddings"]))
                self.fallbacks = dict(zip(paths, (str(r) for r in data[prefix + "fallbacks"])))

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        paths = sorted(self.embeddings)
        prefix = f"{self.model_id}::"
        arrays = dict(self.others)
        arrays[prefix + "paths"] = np.array(paths)
        arrays[prefix + "embeddings"] = np.stack([self.embeddings[p] for p in paths]).astype(np.float32)
        arrays[prefix + "fallbacks"] = np.array([self.fallbacks[p] for p in paths])
        temporary = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(temporary, **arrays)
        temporary.replace(self.path)  # atomic: a killed run never leaves a half-written cache


def embed_missing(engine: FaceEngine, images: list[str], images_dir: Path, cache: EmbeddingCache) -> float:
    """Embed the photos not cached yet (largest face each); returns the seconds spent."""
    missing = [name for name in images if name not in cache.embeddings]
    if not missing:
        return 0.0
    print(f"embedding {len(missing)} photos ({len(images) - len(missing)} cached) with {engine.model_id}", flush=True)
    start, since_save = time.perf_counter(), 0
    for i in range(0, len(missing), BATCH_IMAGES):
        chunk = missing[i : i + BATCH_IMAGES]
        results = engine.analyze_many([str(images_dir / n) for n in chunk], fallback_center=True, max_faces=1)
        for name, faces in zip(chunk, results):
            cache.embeddings[name] = faces[0].embedding
            cache.fallbacks[name] = faces[0].fallback_reason or ""
        since_save += len(chunk)
        if since_save >= SAVE_EVERY or i + BATCH_IMAGES >= len(missing):
            cache.save()
            since_save = 0
            done = min(i + BATCH_IMAGES, len(missing))
            rate = 1000 * (time.perf_counter() - start) / done
            print(f"  {done}/{len(missing)} ({rate:.1f} ms/photo), cache saved", flush=True)
    return time.perf_counter() - start


@dataclass
class Rates:
    threshold: float
    margin: float
    rank1: float
    dir: float
    wrong_name: float
    far: float


def open_set_rates(
    known_matches: list[PersonMatch], truth: list[int], stranger_matches: list[PersonMatch],
    *, threshold: float, margin: float,
) -> Rates:
    named = [m.is_known(threshold=threshold, margin=margin) for m in known_matches]
    right = [m.person_id == t for m, t in zip(known_matches, truth)]
    strangers_named = [m.is_known(threshold=threshold, margin=margin) for m in stranger_matches]
    n = max(len(known_matches), 1)
    return Rates(
        threshold=threshold, margin=margin,
        rank1=sum(right) / n,
        dir=sum(a and b for a, b in zip(named, right)) / n,
        wrong_name=sum(a and not b for a, b in zip(named, right)) / n,
        far=sum(strangers_named) / max(len(stranger_matches), 1),
    )


def naive_search(queries: np.ndarray, samples_by_person: list[tuple[int, np.ndarray]]) -> list[PersonMatch]:
    """The baseline: loop over people in Python, one dot product per person."""
    results = []
    for query in normalize_rows(queries):
        best, best_score, second_score = None, -1.0, -1.0
        for person_id, samples in samples_by_person:
            score = float(np.max(samples @ query))
            if score > best_score:
                best, best_score, second_score = person_id, score, best_score
            elif score > second_score:
                second_score = score
        results.append(PersonMatch(best, best_score, second_score))
    return results


def median_seconds(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def search_timings(
    lfw_vectors: np.ndarray, queries: np.ndarray, sizes: tuple[int, ...], *, seed: int, repeats: int | None,
) -> list[dict]:
    """Gallery.search per-face time at each size; LFW embeddings first, then random unit vectors."""
    rng = np.random.default_rng(seed)
    largest = max(sizes)
    synthetic = max(0, largest - len(lfw_vectors))
    pool = np.vstack([lfw_vectors, normalize_rows(rng.standard_normal((synthetic, lfw_vectors.shape[1])))])
    rows = []
    for size in sizes:
        gallery = Gallery(pool[:size], np.arange(size))
        real = min(size, len(lfw_vectors))
        row = {"enrolled": size, "lfw": real, "random": size - real}
        for batch in QUERY_BATCHES:
            chunk = queries[:batch]
            times = repeats or (200 if size * batch <= 64_000 else 30)
            row[f"search_ms_per_face_b{batch}"] = 1000 * median_seconds(lambda: gallery.search(chunk), times) / batch
        rows.append(row)
    return rows


def baseline_timing(lfw_vectors: np.ndarray, queries: np.ndarray, size: int, *, repeats: int | None) -> dict:
    """Naive per-person loop vs Gallery.search at `size`, same data, same queries."""
    gallery = Gallery(lfw_vectors[:size], np.arange(size))
    by_person = [(i, lfw_vectors[i : i + 1]) for i in range(size)]
    chunk = queries[:8]
    agree = all(
        a.person_id == b.person_id for a, b in zip(naive_search(chunk, by_person), gallery.search(chunk))
    )
    naive_ms = 1000 * median_seconds(lambda: naive_search(chunk, by_person), repeats or 5) / len(chunk)
    fast = {b: 1000 * median_seconds(lambda b=b: gallery.search(queries[:b]), repeats or 100) / b
            for b in QUERY_BATCHES}
    return {"enrolled": size, "naive_ms_per_face": naive_ms, "same_answers": agree,
            **{f"speedup_b{b}": naive_ms / ms for b, ms in fast.items()},
            **{f"search_ms_per_face_b{b}": ms for b, ms in fast.items()}}


def pct(x: float) -> str:
    return f"{100 * x:6.2f}"


def report_open_set(split: Split, vectors, *, default: float) -> tuple[list[Rates], list[Rates]]:
    """Print (and return) the rates at the default threshold and over the sweep."""
    gallery = Gallery(vectors(split.enrolled), split.enrolled_person)
    known_matches = gallery.search(vectors(split.known_probes))
    stranger_matches = gallery.search(vectors(split.strangers))
    rates = lambda t, m: open_set_rates(  # noqa: E731
        known_matches, split.known_probe_person, stranger_matches, threshold=t, margin=m)

    print(f"\nAt the default threshold ({default}):")
    print(f"{'threshold':>10}{'margin':>8}{'rank-1 %':>10}{'DIR %':>9}{'wrong name %':>14}{'FAR %':>9}")
    headline = [rates(default, m) for m in (0.05, 0.0)]
    for r in headline:
        print(f"{r.threshold:>10.2f}{r.margin:>8.2f}{pct(r.rank1):>10}{pct(r.dir):>9}"
              f"{pct(r.wrong_name):>14}{pct(r.far):>9}")
    print(f"\nThreshold sweep (rank-1 is {pct(headline[0].rank1).strip()} % at every threshold):")
    print(f"{'threshold':>10}{'DIR % m.05':>12}{'wrong % m.05':>14}{'FAR % m.05':>12}"
          f"{'DIR % m0':>10}{'FAR % m0':>10}")
    sweep = []
    for t in sorted(set(SWEEP) | {default}):
        with_margin, without = rates(t, 0.05), rates(t, 0.0)
        sweep += [with_margin, without]
        mark = "  <- default" if t == default else ""
        print(f"{t:>10.2f}{pct(with_margin.dir):>12}{pct(with_margin.wrong_name):>14}{pct(with_margin.far):>12}"
              f"{pct(without.dir):>10}{pct(without.far):>10}{mark}")
    return headline, sweep


def report_search(timings: list[dict], baseline: dict, *, lfw_count: int) -> None:
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"\nGallery.search time per face (median; one sample per enrolled person; "
          f"{lfw_count} LFW embeddings, then random unit vectors; OPENBLAS_NUM_THREADS={blas_threads}):")
    print(f"{'enrolled':>10}{'LFW':>8}{'random':>8}{'batch 1 ms':>12}{'batch 64 ms':>13}")
    for row in timings:
        print(f"{row['enrolled']:>10}{row['lfw']:>8}{row['random']:>8}"
              f"{row['search_ms_per_face_b1']:>12.4f}{row['search_ms_per_face_b64']:>13.4f}")
    print(f"\nBaseline, same run: naive per-person Python loop at {baseline['enrolled']} enrolled: "
          f"{baseline['naive_ms_per_face']:.3f} ms/face; Gallery.search is {baseline['speedup_b1']:.0f}x faster "
          f"(batch 1, {baseline['search_ms_per_face_b1']:.4f} ms) and {baseline['speedup_b64']:.0f}x faster "
          f"(batch 64, {baseline['search_ms_per_face_b64']:.4f} ms); same answers: {baseline['same_answers']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (images/<Name>/<Name>_NNNN.jpg)")
    parser.add_argument("--limit", type=int, default=None, help="known people and strangers to use (each)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="embedding cache (.npz)")
    parser.add_argument("--sizes", default=",".join(map(str, GALLERY_SIZES)), help="gallery sizes to time")
    parser.add_argument("--repeats", type=int, help="timing repeats per measurement (default: 30-200)")
    parser.add_argument("--threshold", type=float, default=float(os.environ.get("FACEAPP_MATCH_THRESHOLD", "0.35")),
                        help="the identification threshold reported first (the app's FACEAPP_MATCH_THRESHOLD)")
    parser.add_argument("--json", help="write the summary to this file")
    args = parser.parse_args()

    images_dir = Path(args.lfw) / "images"
    if not images_dir.is_dir():
        parser.error(f"no LFW images at {images_dir}")
    engine = get_engine(EngineConfig.from_env(intra_op_threads=args.threads, inter_op_threads=1))
    split = split_lfw(images_dir, args.limit)
    print(f"LFW open-set: {len(split.enrolled)} enrolled people (first photo each), "
          f"{len(split.known_probes)} known probes, {len(split.strangers)} strangers; "
          f"model {engine.model_id}, {args.threads} ORT thread(s)", flush=True)

    cache = EmbeddingCache(Path(args.cache), engine.model_id)
    seconds = embed_missing(engine, split.images, images_dir, cache)
    fallbacks: dict[str, int] = {}
    for name in split.images:
        if cache.fallbacks[name]:
            fallbacks[cache.fallbacks[name]] = fallbacks.get(cache.fallbacks[name], 0) + 1
    print(f"photos found only by the detector fallback: {fallbacks or 'none'}")

    vectors = lambda names: np.stack([cache.embeddings[n] for n in names])  # noqa: E731
    headline, sweep = report_open_set(split, vectors, default=args.threshold)

    # Timing: LFW embeddings in a fixed order (enrolled first), queries are known probes.
    lfw_vectors = vectors(split.enrolled + split.strangers + split.known_probes)
    queries = vectors(split.known_probes[:64] or split.enrolled[:64])
    queries = np.vstack([queries] * (64 // len(queries) + 1))[:64]
    sizes = tuple(int(s) for s in args.sizes.split(","))
    timings = search_timings(lfw_vectors, queries, sizes, seed=0, repeats=args.repeats)
    baseline = baseline_timing(lfw_vectors, queries, min(1_000, len(lfw_vectors)), repeats=args.repeats)
    report_search(timings, baseline, lfw_count=len(lfw_vectors))
    if seconds:
        print(f"(embedding took {seconds:.0f} s this run)")

    if args.json:
        Path(args.json).write_text(json.dumps({
            "model_id": engine.model_id, "enrolled": len(split.enrolled), "known_probes": len(split.known_probes),
            "strangers": len(split.strangers), "fallbacks": fallbacks, "default_threshold": args.threshold,
            "headline": [vars(r) for r in headline], "sweep": [vars(r) for r in sweep],
            "search": timings, "baseline": baseline,
        }, indent=1))


if __name__ == "__main__":
    main()
