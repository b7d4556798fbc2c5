"""Open-set identification on LFW, and gallery search time at 1k / 10k / 100k enrolled.

Protocol: each of the 1,680 people with two or more photos is enrolled with their
first photo; their other photos are probes that should get their name ("known").
The 4,069 people with a single photo are strangers: probes that should stay
"unknown". Every photo is embedded once (the subject's face, ``lfw_faces.lfw_faces``:
LFW's fallbacks where nothing is detected) and cached in ``bench/out/lfw_embeddings.npz`` per
model id, so reruns only redo the matching (the key is the embedder's model id only:
delete the file after changing the detector). Decisions use the production code:
``Gallery.search`` and ``PersonMatch.is_known(threshold=, margin=)``.

With ``FACEAPP_FLIP=adaptive`` (the default; ``plain`` for plain alone) the photos are embedded
plain and mirrored in one pass (both cached: the mirrored ones as flip mode's ``+flip`` embeddings) and the decisions are adaptive
mode's (``Gallery.search``, then ``refine_matches`` for the probes whose decision lies within
the band of the threshold or margin, searched by flip embeddings against the enrolled photos'
flip embeddings); plain and flip mode are reported beside it from the same embeddings, with
the share of probes mirrored, and the time per face of plain and adaptive is measured on
``--time-probes`` photos (detect + embed + search + the adaptive step, taking turns).

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
    FACEAPP_FLIP=adaptive .venv/bin/python bench/identify.py   # adaptive beside plain and flip
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lfw_faces import lfw_faces  # noqa: E402
from search_timing import baseline_timing, report_search, search_timings  # noqa: E402

from identity.matching import Gallery, PersonMatch, refine_face_matches, refine_matches  # noqa: E402
from identity.vision import EngineConfig, FaceEngine, get_engine  # noqa: E402

DEFAULT_LFW = ROOT.parent / "shared" / "faces" / "lfw"
DEFAULT_CACHE = ROOT / "bench" / "out" / "lfw_embeddings.npz"
BATCH_IMAGES = 32
SAVE_EVERY = 1024  # images between cache writes, so an interrupted run keeps its work
SWEEP = (0.15, 0.18, 0.20, 0.22, 0.25, 0.28, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55)
GALLERY_SIZES = (1_000, 10_000, 100_000)


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
    """Embeddings of LFW photos (relative paths), per model id, in one .npz file; with
    ``flip_model_id`` also each photo's flip embedding (``flips``), kept under that model id."""

    def __init__(self, path: Path, model_id: str, *, flip_model_id: str | None = None):
        self.path, self.model_id, self.flip_model_id = path, model_id, flip_model_id
        self.others: dict[str, np.ndarray] = {}
        self.embeddings: dict[str, np.ndarray] = {}
        self.fallbacks: dict[str, str] = {}
        self.flips: dict[str, np.ndarray] = {}
        if not path.exists():
            return
        mine = [m for m in (model_id, flip_model_id) if m]
        with np.load(path, allow_pickle=False) as data:
            for key in data.files:
                if not any(key.startswith(f"{m}::") for m in mine):
                    self.others[key] = data[key]
            for model, embeddings in ((model_id, self.embeddings), (flip_model_id, self.flips)):
                prefix = f"{model}::"
                if model and prefix + "paths" in data.files:
                    paths = [str(p) for p in data[prefix + "paths"]]
                    embeddings.update(zip(paths, data[prefix + "embeddings"]))
                    self.fallbacks.update(zip(paths, (str(r) for r in data[prefix + "fallbacks"])))

    def missing(self, images: list[str]) -> list[str]:
        return [n for n in images if n not in self.embeddings or (self.flip_model_id and n not in self.flips)]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        arrays = dict(self.others)
        for model, embeddings in ((self.model_id, self.embeddings), (self.flip_model_id, self.flips)):
            if not model or not embeddings:
                continue
            paths = sorted(embeddings)
            arrays[f"{model}::paths"] = np.array(paths)
            arrays[f"{model}::embeddings"] = np.stack([embeddings[p] for p in paths]).astype(np.float32)
            arrays[f"{model}::fallbacks"] = np.array([self.fallbacks[p] for p in paths])
        temporary = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(temporary, **arrays)
        temporary.replace(self.path)  # atomic: a killed run never leaves a half-written cache


def embed_missing(engine: FaceEngine, images: list[str], images_dir: Path, cache: EmbeddingCache) -> float:
    """Embed the photos not cached yet (largest face each; mirrored too when the cache keeps
    flip embeddings); returns the seconds spent."""
    missing = cache.missing(images)
    if not missing:
        return 0.0
    spaces = engine.model_id + (f" and {cache.flip_model_id}" if cache.flip_model_id else "")
    print(f"embedding {len(missing)} photos ({len(images) - len(missing)} cached) with {spaces}", flush=True)
    start, since_save = time.perf_counter(), 0
    for i in range(0, len(missing), BATCH_IMAGES):
        chunk = missing[i : i + BATCH_IMAGES]
        results = lfw_faces(engine, [str(images_dir / n) for n in chunk], with_flip=cache.flip_model_id is not None)
        for name, subject in zip(chunk, results):
            cache.embeddings[name] = subject.face.embedding
            cache.fallbacks[name] = subject.fallback_reason or ""
            if cache.flip_model_id:
                cache.flips[name] = subject.face.flip_embedding
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
    mirrored: float = 0.0  # share of the probes whose flip embedding decided (adaptive mode)


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


def pct(x: float) -> str:
    return f"{100 * x:6.2f}"


def mode_rates(split: Split, vectors, flip_vectors=None, *, band: float | None = None):
    """rates(threshold, margin) of one mode: the gallery searched with `vectors` (plain, or flip
    mode's), or with `band` adaptive mode (plain, then `flip_vectors` for close decisions)."""
    adaptive = band is not None
    gallery = Gallery(vectors(split.enrolled), split.enrolled_person,
                      flip_embeddings=flip_vectors(split.enrolled) if adaptive else None)
    probes = {"known": split.known_probes, "strangers": split.strangers}
    plain = {kind: gallery.search(vectors(names)) for kind, names in probes.items()}

    def rates(threshold: float, margin: float) -> Rates:
        matches, mirrored = dict(plain), 0
        if adaptive:
            for kind, names in probes.items():
                refined = refine_matches(
                    plain[kind], gallery=gallery, threshold=threshold, margin=margin, band=band,
                    flip_embeddings=lambda indices, names=names: flip_vectors([names[i] for i in indices]))
                matches[kind], mirrored = refined.matches, mirrored + len(refined.mirrored)
        result = open_set_rates(matches["known"], split.known_probe_person, matches["strangers"],
                                threshold=threshold, margin=margin)
        result.mirrored = mirrored / max(1, len(split.known_probes) + len(split.strangers))
        return result

    return rates


def report_open_set(rates, *, default: float) -> tuple[list[Rates], list[Rates]]:
    """Print (and return) the rates at the default threshold and over the sweep."""
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


def report_modes(modes: dict, *, default: float) -> dict[str, list[dict]]:
    """Plain, flip and adaptive side by side at the default threshold, margin 0.05 and 0."""
    print(f"\nFlip modes at the default threshold ({default}), same photos:")
    print(f"{'mode':>10}{'margin':>8}{'rank-1 %':>10}{'DIR %':>9}{'wrong name %':>14}{'FAR %':>9}{'mirrored %':>12}")
    table = {}
    for name, rates in modes.items():
        table[name] = [vars(rates(default, m)) for m in (0.05, 0.0)]
        for r in table[name]:
            print(f"{name:>10}{r['margin']:>8.2f}{pct(r['rank1']):>10}{pct(r['dir']):>9}{pct(r['wrong_name']):>14}"
                  f"{pct(r['far']):>9}{pct(1.0 if name == 'flip' else r['mirrored']):>12}")
    return table


def time_per_face(split: Split, cache: EmbeddingCache, images_dir: Path, *, photos: int, threads: int,
                  threshold: float, margin: float) -> dict:
    """ms per face, photo to decision (decode, detect, embed, search, the adaptive step), of plain
    and adaptive mode on the same probe photos, taking turns in chunks (the order rotating)."""
    vectors = lambda names, d: np.stack([d[n] for n in names])  # noqa: E731
    gallery = Gallery(vectors(split.enrolled, cache.embeddings), split.enrolled_person,
                      flip_embeddings=vectors(split.enrolled, cache.flips))
    step = max(1, (len(split.known_probes) + len(split.strangers)) // max(photos, 1))
    chosen = [str(images_dir / n) for n in (split.known_probes[::step] + split.strangers[::step])[:photos]]
    engines = {mode: FaceEngine(EngineConfig.from_env(flip=mode, intra_op_threads=threads, inter_op_threads=1)).load()
               for mode in ("plain", "adaptive")}
    seconds, faces, mirrored = dict.fromkeys(engines, 0.0), dict.fromkeys(engines, 0), 0
    for mode, engine in engines.items():  # warm-up, not timed: the first calls allocate
        engine.flip_embeddings(np.stack([lfw_faces(engine, chosen[:1])[0].face.crop] * 2),
                               np.zeros((2, gallery.matrix.shape[1]), np.float32))
    for number, start in enumerate(range(0, len(chosen), 25)):
        for mode in (list(engines) if number % 2 == 0 else list(engines)[::-1]):
            engine, began = engines[mode], time.perf_counter()
            for photo in chosen[start : start + 25]:
                found = [lfw_faces(engine, [photo])[0].face]
                matches = gallery.search(np.stack([f.embedding for f in found]))
                refined = refine_face_matches(engine=engine, faces=found, matches=matches, gallery=gallery,
                                              threshold=threshold, margin=margin)
                faces[mode] += len(found)
                mirrored += len(refined.mirrored)
            seconds[mode] += time.perf_counter() - began
    result = {"photos": len(chosen), "mirrored": mirrored / max(1, faces["adaptive"]),
              **{f"{mode}_ms_per_face": 1000 * seconds[mode] / max(1, faces[mode]) for mode in engines}}
    print(f"\nTime per face, photo to decision ({len(chosen)} probe photos, plain and adaptive taking turns, "
          f"{threads} ORT thread(s)): plain {result['plain_ms_per_face']:.1f} ms, adaptive "
          f"{result['adaptive_ms_per_face']:.1f} ms ({pct(result['mirrored']).strip()} % of these faces mirrored)")
    return result


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
    parser.add_argument("--time-probes", type=int, default=400,
                        help="adaptive mode: probe photos timed photo to decision, plain vs adaptive")
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

    flip_model_id = engine.flip_model_id if engine.adaptive else None  # adaptive: plain and mirrored, one pass
    cache = EmbeddingCache(Path(args.cache), engine.model_id, flip_model_id=flip_model_id)
    seconds = embed_missing(engine, split.images, images_dir, cache)
    fallbacks: dict[str, int] = {}
    for name in split.images:
        if cache.fallbacks[name]:
            fallbacks[cache.fallbacks[name]] = fallbacks.get(cache.fallbacks[name], 0) + 1
    print(f"photos found only by the detector fallback: {fallbacks or 'none'}")

    vectors = lambda names: np.stack([cache.embeddings[n] for n in names])  # noqa: E731
    flip_vectors = lambda names: np.stack([cache.flips[n] for n in names])  # noqa: E731
    modes, timing = {}, None
    if engine.adaptive:
        band = engine.config.flip_band
        modes = {"plain": mode_rates(split, vectors), "flip": mode_rates(split, flip_vectors),
                 "adaptive": mode_rates(split, vectors, flip_vectors, band=band)}
        print(f"adaptive band {band:g} around the threshold and the margin")
    headline, sweep = report_open_set(modes.get("adaptive") or mode_rates(split, vectors), default=args.threshold)
    table = report_modes(modes, default=args.threshold) if modes else None
    if engine.adaptive and args.time_probes:
        timing = time_per_face(split, cache, images_dir, photos=args.time_probes, threads=args.threads,
                               threshold=args.threshold, margin=0.05)

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
            "search": timings, "baseline": baseline, "modes": table, "time_per_face": timing,
        }, indent=1))


if __name__ == "__main__":
    main()
