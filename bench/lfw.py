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
``analyze(..., fallback_center=True, max_faces=1, central_first=True)``,
insightface ``FaceAnalysis.get(img, max_num=1)``. A photo where insightface finds no face scores -1 (counted as
"different").

    .venv/bin/python bench/lfw.py                  # full View 2 run, ~40 min (three pipelines)
    .venv/bin/python bench/lfw.py --limit 60       # quick: 60 pairs per fold
    .venv/bin/python bench/lfw.py --tune           # View 1 (pairsDevTrain): pick the default threshold

``--tune`` prints the threshold with the best accuracy on View 1's training
pairs (and that threshold's accuracy on pairsDevTest); that value is
``DEFAULT_THRESHOLD`` in identity/vision/engine.py. Nothing is cached or
written into the repository (``--json`` writes a summary where you ask).
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

from identity.vision import EngineConfig, FaceEngine  # noqa: E402

DEFAULT_LFW = ROOT.parent / "shared" / "faces" / "lfw"
CHUNK_IMAGES = 50  # images per pipeline turn in the interleaved timing


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

    def __init__(self, lfw: Path, config: EngineConfig, name: str):
        self.lfw, self.engine = lfw, FaceEngine(config).load()
        self.result = RunResult(name, {}, 0.0, fallbacks={})

    def warm_up(self, image: str) -> None:
        self.engine.analyze(str(self.lfw / "images" / image))

    def process(self, image: str) -> None:
        faces = self.engine.analyze(
            str(self.lfw / "images" / image), fallback_center=True, max_faces=1, central_first=True
        )
        face = faces[0]  # the fallback guarantees one
        self.result.embeddings[image] = face.embedding
        if face.fallback:  # no face at the normal threshold; the fallback found one
            self.result.fallbacks[face.fallback_reason] = self.result.fallbacks.get(face.fallback_reason, 0) + 1


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


def similarities(pairs: list[Pair], embeddings: dict[str, np.ndarray | None]) -> np.ndarray:
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


def tune(args: argparse.Namespace) -> None:
    lfw = Path(args.lfw)
    train = read_pairs(lfw / "pairsDevTrain.txt", args.limit)
    test = read_pairs(lfw / "pairsDevTest.txt", args.limit)
    images = sorted({p.image1 for p in train + test} | {p.image2 for p in train + test})
    print(f"View 1: {len(train)} training pairs, {len(test)} test pairs, {len(images)} images")
    for flip in (False, True):
        config = EngineConfig(flip=flip, intra_op_threads=args.threads, inter_op_threads=1)
        (run,) = run_interleaved(images, [OursPipeline(lfw, config, "flip" if flip else "plain")])
        threshold, train_acc = best_threshold(similarities(train, run.embeddings), np.array([p.same for p in train]))
        test_sims = similarities(test, run.embeddings)
        test_acc = ((test_sims >= threshold) == np.array([p.same for p in test])).mean()
        print(f"{run.name:>6}: best threshold {threshold:.4f}  train accuracy {100 * train_acc:.2f}%  "
              f"DevTest accuracy at it {100 * test_acc:.2f}%  fallbacks {run.fallbacks or 0}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (pairs.txt, images/)")
    parser.add_argument("--limit", type=int, default=None, help="pairs per fold (half same, half different)")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads, both pipelines")
    parser.add_argument("--tune", action="store_true", help="choose the threshold on View 1 instead")
    parser.add_argument("--no-insightface", action="store_true", help="skip the insightface run")
    parser.add_argument("--modes", default="plain,flip", help="our embedding modes to run: plain,flip")
    parser.add_argument("--json", help="write the summary to this file")
    args = parser.parse_args()
    if args.tune:
        return tune(args)

    lfw = Path(args.lfw)
    pairs = read_pairs(lfw / "pairs.txt", args.limit)
    images = sorted({p.image1 for p in pairs} | {p.image2 for p in pairs})
    print(f"LFW View 2: {len(pairs)} pairs in {len(set(p.fold for p in pairs))} folds, {len(images)} images, "
          f"{args.threads} ORT thread(s)", flush=True)
    pipelines: list = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        config = EngineConfig(flip=mode == "flip", intra_op_threads=args.threads, inter_op_threads=1)
        pipelines.append(OursPipeline(lfw, config, f"faceapp {FaceEngine(config).model_id}"))
    if not args.no_insightface:
        pipelines.append(InsightfacePipeline(lfw, args.threads))
    runs = run_interleaved(images, pipelines)

    summary = []
    reference = runs[-1] if not args.no_insightface else None
    print(f"\n{'pipeline':<24}{'accuracy %':>16}{'thr':>8}{'no face':>9}{'fallbacks':>28}{'ms/img':>9}{'time ratio':>12}")
    for run in runs:
        mean, std, threshold = ten_fold(pairs, similarities(pairs, run.embeddings))
        ms = 1000 * run.seconds / len(images)
        ratio = run.seconds / reference.seconds if reference else float("nan")
        fallbacks = ", ".join(f"{k} {v}" for k, v in sorted(run.fallbacks.items())) or "-"
        print(f"{run.name:<24}{100 * mean:>10.2f} ±{100 * std:4.2f}{threshold:>8.3f}{run.no_face:>9}"
              f"{fallbacks:>28}{ms:>9.1f}{ratio:>12.2f}")
        summary.append({"pipeline": run.name, "accuracy": mean, "std": std, "mean_threshold": threshold,
                        "no_face": run.no_face, "fallbacks": run.fallbacks, "ms_per_image": ms,
                        "time_ratio_vs_insightface": ratio})
    if args.json:
        Path(args.json).write_text(json.dumps({"pairs": len(pairs), "images": len(images),
                                               "threads": args.threads, "runs": summary}, indent=1))


if __name__ == "__main__":
    main()
