"""LFW verification benchmark: faceapp's engine vs insightface's FaceAnalysis, same weights, same run.

View 2 (``pairs.txt``, the standard protocol): 10 folds of 300 same + 300
different pairs; each fold is scored at the threshold that is best on the
other nine; the mean over folds is reported. Only the images that appear in
the pairs are embedded (about 7.7k). For every pipeline it reports accuracy,
images where no face was detected (ours: how many the centre/low-threshold
fallback rescued), and wall-clock milliseconds per image for
decode + detect + align + embed, with the same ONNX Runtime thread count for
both (``--threads``, default 1). The pipelines take turns on chunks of 50 images (the order
rotating), so a shared machine that changes speed during the run weighs on all alike; each
handles one photo per call. Each pipeline embeds one face per photo, chosen by
the same rule (largest, weighted towards the centre: LFW photos are centred on
their subject, and the largest face is sometimes a bystander): ours
``lfw_faces.lfw_faces(..., central_first=True)`` (with LFW's fallbacks where nothing is detected),
insightface ``FaceAnalysis.get(img, max_num=1)``. A photo where insightface finds no face scores -1 (counted as
"different").

``--profiles`` runs our modes once per model profile (identity/vision/profiles.py; ``--tune`` takes
the first), each decided at its own profile's threshold. ``--tune --json F`` keeps View 1's plain
similarities; another profile's ``--tune --like F`` then places its live thresholds as F's are.

Our modes (``--modes``): plain, flip (every face mirrored too) and adaptive, which decides each
pair as soon as its two photos are embedded, at the engine's threshold: a plain similarity
within the band (``--band``) of it is taken again on flip embeddings, the photos' mirrored
crops embedded then (both in one call), inside the pipeline's timed turn; "mirrored" is the
share of photos whose mirror was embedded.

    .venv/bin/python bench/lfw.py                  # full View 2 run, ~45 min (four pipelines)
    .venv/bin/python bench/lfw.py --limit 60       # quick: 60 pairs per fold
    .venv/bin/python bench/lfw.py --tune           # View 1: pick the default threshold and flip band
    .venv/bin/python bench/lfw.py --profiles research,commercial --modes adaptive --no-insightface
    .venv/bin/python bench/lfw.py --batching       # what batching faces in one ONNX call gives

``--tune`` embeds View 1's photos once, plain and mirrored, and prints the threshold with the
best accuracy on View 1's training pairs (and that threshold's accuracy on pairsDevTest); that
value is the profile's ``threshold`` in identity/vision/profiles.py. It then chooses the adaptive band:
the largest change the mirror made to any View 1 pair's similarity, plus how far the best
threshold moved between pairsDevTrain and pairsDevTest (the threshold in force is never known
better), rounded up to 0.01: the profile's ``flip_band`` (research's is ``DEFAULT_FLIP_BAND``). View 2 is never
used to choose either. Nothing is cached or written into the repository (``--json`` writes a
summary where you ask).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lfw_faces import lfw_faces  # noqa: E402

from identity.vision import EngineConfig, Face, FaceEngine  # noqa: E402
from identity.vision.adaptive import near  # noqa: E402
from identity.vision.profiles import model_profile  # noqa: E402

DEFAULT_LFW = ROOT.parent / "shared" / "faces" / "lfw"
CHUNK_IMAGES = 50  # images per pipeline turn in the interleaved timing
BATCH_SIZES = (1, 2, 8)  # faces per ONNX call timed by --batching


@dataclass
class Pair:
    image1: str
    image2: str
    same: bool
    fold: int


@dataclass
class RunResult:
    name: str
    embeddings: dict[str, np.ndarray | None]
    seconds: float
    no_face: int = 0
    fallbacks: dict[str, int] = field(default_factory=dict)
    pair_scores: dict[int, float] | None = None  # adaptive: decided per pair (index into the pairs)
    mirrored: int = 0  # photos whose mirrored crop was embedded


def image_path(name: str, number: str) -> str:
    return f"{name}/{name}_{int(number):04d}.jpg"


def read_pairs(path: Path, limit: int | None = None) -> list[Pair]:
    """Pairs from an LFW pairs file (View 2: 'folds n' header; View 1: 'n' header)."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    folds, per_half = (int(header[0]), int(header[1])) if len(header) == 2 else (1, int(header[0]))
    pairs: list[Pair] = []
    index = 0
    for fold in range(folds):
        for same in (True, False):
            half = rows[index : index + per_half]
            index += per_half
            for row in half[: (limit // 2 if limit else None)]:
                if same:
                    pairs.append(Pair(image_path(row[0], row[1]), image_path(row[0], row[2]), True, fold))
                else:
                    pairs.append(Pair(image_path(row[0], row[1]), image_path(row[2], row[3]), False, fold))
    return pairs


class OursPipeline:
    """faceapp's engine, one photo per call (as a camera frame or an upload is handled)."""

    def __init__(self, lfw: Path, config: EngineConfig, name: str, *, with_flip: bool = False):
        self.lfw, self.engine, self.with_flip = lfw, FaceEngine(config).load(), with_flip
        self.result = RunResult(name, {}, 0.0, fallbacks={})
        self.flips: dict[str, np.ndarray] = {}  # with_flip: each photo's flip embedding too

    def warm_up(self, image: str) -> None:
        self.engine.analyze(str(self.lfw / "images" / image))

    def process(self, image: str) -> Face:
        (subject,) = lfw_faces(self.engine, [self.lfw / "images" / image], central_first=True, with_flip=self.with_flip)
        face, reason = subject.face, subject.fallback_reason
        self.result.embeddings[image] = face.embedding
        if face.flip_embedding is not None:
            self.flips[image] = face.flip_embedding
        if reason:  # no face at the normal threshold; the fallback found one
            self.result.fallbacks[reason] = self.result.fallbacks.get(reason, 0) + 1
        return face


class AdaptivePipeline(OursPipeline):
    """Adaptive flip mode: each pair is decided once both photos are embedded, mirroring the two
    faces (one call) when the plain similarity is within the band of the engine's threshold."""

    def __init__(self, lfw: Path, config: EngineConfig, name: str, pairs: list[Pair]):
        super().__init__(lfw, config, name)
        self.pairs, self.faces = pairs, {}
        self.pairs_of: dict[str, list[int]] = {}
        for index, pair in enumerate(pairs):
            for image in {pair.image1, pair.image2}:
                self.pairs_of.setdefault(image, []).append(index)
        self.result.pair_scores = {}

    def warm_up(self, image: str) -> None:
        face = lfw_faces(self.engine, [self.lfw / "images" / image])[0].face
        self.engine.flip_embeddings(np.stack([face.crop] * 2), np.stack([face.embedding] * 2))  # a two-crop mirror call

    def process(self, image: str) -> Face:
        self.faces[image] = super().process(image)
        threshold, band = self.engine.config.threshold, self.engine.config.flip_band
        for index in self.pairs_of[image]:
            pair = self.pairs[index]
            if index in self.result.pair_scores or pair.image1 not in self.faces or pair.image2 not in self.faces:
                continue  # decided already, or its other photo is still to come
            both = [self.faces[pair.image1], self.faces[pair.image2]]
            score = float(both[0].embedding @ both[1].embedding)
            if near(score, threshold=threshold, band=band):
                self.result.mirrored += sum(f.flip_embedding is None for f in both)
                flip1, flip2 = self.engine.mirror(both)  # the missing mirrors, in one call
                score = float(flip1 @ flip2)
            self.result.pair_scores[index] = score
        return self.faces[image]


class InsightfacePipeline:
    """insightface's FaceAnalysis with the same two ONNX files, as a user would run it."""

    def __init__(self, lfw: Path, threads: int):
        from make_reference_embeddings import insightface_app

        self.lfw, self.app = lfw, insightface_app(threads=threads, det_size=(640, 640))
        self.result = RunResult("insightface", {}, 0.0)

    def warm_up(self, image: str) -> None:
        self.app.get(cv2.imread(str(self.lfw / "images" / image)))

    def process(self, image: str) -> None:
        # max_num=1: insightface keeps one face (its largest-and-most-central rule) and embeds only it
        faces = self.app.get(cv2.imread(str(self.lfw / "images" / image)), max_num=1)
        if not faces:
            self.result.no_face += 1
        self.result.embeddings[image] = faces[0].normed_embedding if faces else None


def run_interleaved(images: list[str], pipelines: list) -> list[RunResult]:
    """Every pipeline on each chunk of images in turn, the order rotating, so that a machine that
    speeds up or slows down during the run (shared cores) weighs on all of them alike."""
    for pipeline in pipelines:
        pipeline.warm_up(images[0])  # outside the timing
    for number, start in enumerate(range(0, len(images), CHUNK_IMAGES)):
        chunk = images[start : start + CHUNK_IMAGES]
        shift = number % len(pipelines)
        for pipeline in pipelines[shift:] + pipelines[:shift]:
            began = time.perf_counter()
            for image in chunk:
                pipeline.process(image)
            pipeline.result.seconds += time.perf_counter() - began
        if number % 20 == 19:
            print(f"  {start + len(chunk)}/{len(images)} images", flush=True)
    return [pipeline.result for pipeline in pipelines]


def similarities(pairs: list[Pair], run: RunResult) -> np.ndarray:
    """Each pair's score: the run's own per-pair decision (adaptive), else the photos' cosine."""
    if run.pair_scores is not None:
        return np.array([run.pair_scores[i] for i in range(len(pairs))])
    return pair_cosines(pairs, run.embeddings)


def pair_cosines(pairs: list[Pair], embeddings: dict[str, np.ndarray | None]) -> np.ndarray:
    sims = []
    for p in pairs:
        a, b = embeddings[p.image1], embeddings[p.image2]
        sims.append(-1.0 if a is None or b is None else float(np.dot(a, b)))
    return np.array(sims)


def best_threshold(sims: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy; the threshold sits midway between two scores."""
    order = np.sort(sims)
    candidates = np.concatenate([[order[0] - 1e-3], (order[1:] + order[:-1]) / 2, [order[-1] + 1e-3]])
    accuracies = [((sims >= t) == same).mean() for t in candidates]
    best = int(np.argmax(accuracies))
    return float(candidates[best]), float(accuracies[best])


def ten_fold(pairs: list[Pair], sims: np.ndarray) -> tuple[float, float, float]:
    """Mean and std of fold accuracies (threshold from the other folds), and the mean threshold."""
    same = np.array([p.same for p in pairs])
    folds = np.array([p.fold for p in pairs])
    accuracies, thresholds = [], []
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        threshold, _ = best_threshold(sims[train], same[train])
        thresholds.append(threshold)
        accuracies.append(((sims[test] >= threshold) == same[test]).mean())
    return float(np.mean(accuracies)), float(np.std(accuracies)), float(np.mean(thresholds))


def profile_names(args: argparse.Namespace) -> list[str]:
    return [model_profile(name.strip()).name for name in args.profiles.split(",") if name.strip()]


def batching(args: argparse.Namespace) -> None:
    """ms per face of one ONNX call of N aligned crops against N calls of one, and what the
    mirrored crops add as a second call or inside the same call. The variants take turns
    within each round (the order rotating); medians over the rounds, of CPU time (one ORT
    thread: the work itself, steadier than wall time on a shared machine) and of wall time."""
    lfw = Path(args.lfw)
    engine = FaceEngine(EngineConfig(intra_op_threads=args.threads, inter_op_threads=1)).load()
    names = sorted(p.image1 for p in read_pairs(lfw / "pairsDevTrain.txt"))[:: 50][: max(BATCH_SIZES)]
    crops = np.stack([subject.face.crop for subject in lfw_faces(engine, [lfw / "images" / n for n in names])])
    embedder = engine.embedder
    print(f"ONNX Runtime {args.threads} thread(s), {len(crops)} LFW crops, median of {args.repeats} rounds, "
          f"ms per face, CPU (wall):")
    print(f"{'faces':>6}{'a call per face':>20}{'one call for all':>20}{'gain':>6}{'+ mirror, 2nd call':>22}"
          f"{'+ mirror, same call':>22}")
    for size in BATCH_SIZES:
        chunk = crops[:size]
        variants = {
            "alone": lambda: [embedder.embed(c[None]) for c in chunk],
            "together": lambda: embedder.embed(chunk),
            "mirror after": lambda: (embedder.embed(chunk), embedder.embed_mirrored(chunk)),
            "mirror with": lambda: embedder.embed_both(chunk),
        }
        cpu, wall = _interleaved_medians(variants, args.repeats)
        cell = lambda key, base=None: (  # noqa: E731  ms per face, less the `base` variant's
            f"{(cpu[key] - cpu.get(base, 0)) / size:.2f} ({(wall[key] - wall.get(base, 0)) / size:.2f})")
        print(f"{size:>6}{cell('alone'):>20}{cell('together'):>20}{100 * (1 - cpu['together'] / cpu['alone']):>5.0f}%"
              f"{cell('mirror after', 'together'):>22}{cell('mirror with', 'together'):>22}")


def _interleaved_medians(variants: dict, repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """(CPU ms, wall ms) medians per variant; one untimed warm-up each (ORT allocates per shape)."""
    for function in variants.values():
        function()
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    wall: dict[str, list[float]] = {k: [] for k in variants}
    keys = list(variants)
    for round_number in range(repeats):
        shift = round_number % len(keys)
        for key in keys[shift:] + keys[:shift]:
            began_cpu, began = time.process_time(), time.perf_counter()
            variants[key]()
            cpu[key].append(time.process_time() - began_cpu)
            wall[key].append(time.perf_counter() - began)
    median = lambda times: {k: 1000 * float(np.median(v)) for k, v in times.items()}  # noqa: E731
    return median(cpu), median(wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (pairs.txt, images/)")
    parser.add_argument("--limit", type=int, default=None, help="pairs per fold (half same, half different)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads, both pipelines")
    parser.add_argument("--tune", action="store_true", help="choose the threshold and flip band on View 1 instead")
    parser.add_argument("--batching", action="store_true", help="time 1, 2 and 8 faces per ONNX call instead")
    parser.add_argument("--repeats", type=int, default=30, help="--batching: rounds per measurement")
    parser.add_argument("--no-insightface", action="store_true", help="skip the insightface run")
    parser.add_argument("--modes", default="plain,flip,adaptive", help="our flip modes to run: plain,flip,adaptive")
    parser.add_argument("--band", type=float, help="adaptive: the flip band (default: the engine's)")
    parser.add_argument("--profiles", default="research", help="model profiles to run: research,commercial")
    parser.add_argument("--like", help="--tune: another profile's --tune --json, to match its 1:N thresholds")
    parser.add_argument("--json", help="write the summary to this file")
    args = parser.parse_args()
    if args.tune:
        from lfw_tune import tune  # it uses this module's pipelines

        return tune(args)
    if args.batching:
        return batching(args)

    lfw = Path(args.lfw)
    pairs = read_pairs(lfw / "pairs.txt", args.limit)
    images = sorted({p.image1 for p in pairs} | {p.image2 for p in pairs})
    print(f"LFW View 2: {len(pairs)} pairs in {len(set(p.fold for p in pairs))} folds, {len(images)} images, "
          f"{args.threads} ORT thread(s)", flush=True)
    pipelines: list = []
    band = {} if args.band is None else {"flip_band": args.band}
    for profile, mode in [(p, m.strip()) for p in profile_names(args) for m in args.modes.split(",") if m.strip()]:
        config = EngineConfig.from_env({}, profile=profile, flip=mode, intra_op_threads=args.threads,
                                       inter_op_threads=1, **band)
        name = f"faceapp {FaceEngine(config).model_id}"
        if mode == "adaptive":
            pipelines.append(AdaptivePipeline(lfw, config, f"{name} adaptive {config.flip_band:g}", pairs))
        else:
            pipelines.append(OursPipeline(lfw, config, name))
    if not args.no_insightface:
        pipelines.append(InsightfacePipeline(lfw, args.threads))
    runs = run_interleaved(images, pipelines)

    summary = []
    reference = runs[-1] if not args.no_insightface else None
    print(f"\n{'pipeline':<34}{'accuracy %':>16}{'thr':>8}{'acc@its':>10}{'no face':>9}{'fallbacks':>24}"
          f"{'mirrored':>10}{'ms/img':>9}{'time ratio':>12}")
    for pipeline, run in zip(pipelines, runs):
        sims = similarities(pairs, run)
        mean, std, threshold = ten_fold(pairs, sims)
        # the threshold its engine decides at (its profile's, chosen on View 1)
        fixed = pipeline.engine.config.threshold if isinstance(pipeline, OursPipeline) else float("nan")
        at_fixed = ((sims >= fixed) == np.array([p.same for p in pairs])).mean() if run.name != "insightface" else None
        ms = 1000 * run.seconds / len(images)
        ratio = run.seconds / reference.seconds if reference else float("nan")
        fallbacks = ", ".join(f"{k} {v}" for k, v in sorted(run.fallbacks.items())) or "-"
        if isinstance(pipeline, OursPipeline) and pipeline.engine.config.flip == "flip":
            run.mirrored = len(images)
        print(f"{run.name:<34}{100 * mean:>10.2f} ±{100 * std:4.2f}{threshold:>8.3f}"
              f"{'-' if at_fixed is None else f'{100 * at_fixed:.2f}':>10}{run.no_face:>9}{fallbacks:>24}"
              f"{100 * run.mirrored / len(images):>9.1f}%{ms:>9.1f}{ratio:>12.2f}")
        summary.append({"pipeline": run.name, "accuracy": mean, "std": std, "mean_threshold": threshold,
                        "accuracy_at_engine_threshold": at_fixed, "no_face": run.no_face, "fallbacks": run.fallbacks,
                        "mirrored_share": run.mirrored / len(images), "ms_per_image": ms,
                        "time_ratio_vs_insightface": ratio})
    if args.json:
        Path(args.json).write_text(json.dumps({"pairs": len(pairs), "images": len(images),
                                               "threads": args.threads, "runs": summary}, indent=1))


if __name__ == "__main__":
    main()
