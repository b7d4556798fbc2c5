"""Gallery search time per face at 1k / 10k / 100k enrolled, against a naive per-person
Python loop (bench/identify.py prints it after the open-set rates; see its docstring)."""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from identity.matching import Gallery, PersonMatch
from identity.vision.embedder import l2_normalize

QUERY_BATCHES = (1, 64)


def naive_search(queries: np.ndarray, samples_by_person: list[tuple[int, np.ndarray]]) -> list[PersonMatch]:
    """The baseline: loop over people in Python, one dot product per person."""
    results = []
    for query in l2_normalize(queries):
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
    pool = np.vstack([lfw_vectors, l2_normalize(rng.standard_normal((synthetic, lfw_vectors.shape[1])))])
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
