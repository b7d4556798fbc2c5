"""``bench/lfw.py --tune``: the threshold and the flip band on LFW View 1 (bench/lfw.py's
docstring says how), and with ``--like`` a profile's live thresholds placed as another's are."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from lfw import OursPipeline, best_threshold, pair_cosines, profile_names, read_pairs, run_interleaved

from identity.vision import EngineConfig
from identity.vision.adaptive import near
from identity.vision.profiles import model_profile


def tune(args: argparse.Namespace) -> None:
    """View 1 only: the plain threshold, then the adaptive band (see the module docstring)."""
    lfw = Path(args.lfw)
    train = read_pairs(lfw / "pairsDevTrain.txt", args.limit)
    test = read_pairs(lfw / "pairsDevTest.txt", args.limit)
    images = sorted({p.image1 for p in train + test} | {p.image2 for p in train + test})
    print(f"View 1: {len(train)} training pairs, {len(test)} test pairs, {len(images)} images")
    config = EngineConfig.from_env({}, profile=profile_names(args)[0], intra_op_threads=args.threads, inter_op_threads=1)
    print(f"profile {config.profile}: {config.detector} + {config.embedder}")
    pipeline = OursPipeline(lfw, config, "plain", with_flip=True)  # plain and flip embeddings in one pass
    (run,) = run_interleaved(images, [pipeline])
    best: dict[str, tuple[float, float]] = {}
    for mode, embeddings in (("plain", run.embeddings), ("flip", pipeline.flips)):
        threshold, train_acc = best_threshold(pair_cosines(train, embeddings), np.array([p.same for p in train]))
        test_threshold, _ = best_threshold(pair_cosines(test, embeddings), np.array([p.same for p in test]))
        test_acc = ((pair_cosines(test, embeddings) >= threshold) == np.array([p.same for p in test])).mean()
        best[mode] = (threshold, test_threshold)
        print(f"{mode:>6}: best threshold {threshold:.4f}  train accuracy {100 * train_acc:.2f}%  "
              f"DevTest accuracy at it {100 * test_acc:.2f}% (DevTest's own best threshold {test_threshold:.4f})  "
              f"fallbacks {run.fallbacks or 0}")
    everything = train + test
    plain, flip = pair_cosines(everything, run.embeddings), pair_cosines(everything, pipeline.flips)
    largest_move = float(np.abs(flip - plain).max())
    threshold_moves = abs(best["plain"][0] - best["plain"][1])
    band = float(np.ceil((largest_move + threshold_moves) * 100) / 100)
    print(f"adaptive band: the mirror moved a pair's similarity by at most {largest_move:.4f} (99th percentile "
          f"{np.percentile(np.abs(flip - plain), 99):.4f}); the best plain threshold moved {threshold_moves:.4f} "
          f"between DevTrain and DevTest -> band {band:.2f}")
    threshold, same = best["plain"][0], np.array([p.same for p in everything])
    close = near(plain, threshold=threshold, band=band)
    adaptive = np.where(close, flip, plain)
    mirrored = {p.image1 for p, c in zip(everything, close) if c} | {p.image2 for p, c in zip(everything, close) if c}
    for name, scores in (("plain", plain), ("flip", flip), ("adaptive", adaptive)):
        print(f"  View 1 errors at threshold {threshold:.4f}, {name:>8}: {int(((scores >= threshold) != same).sum())}"
              f" of {len(everything)}")
    print(f"  adaptive mirrors {100 * close.mean():.1f}% of View 1 pairs, "
          f"{100 * len(mirrored) / len(images):.1f}% of photos")
    wrong = (adaptive >= threshold) != same
    for width in sorted({0.05, band, 0.10, 0.15}):  # compare's "too close to call" is the same band
        mirrored_here = near(plain, threshold=threshold, band=width)
        decided = np.where(mirrored_here, flip, plain)
        inside = near(decided, threshold=threshold, band=width)
        print(f"  band {width:.2f}: {100 * inside.mean():.1f}% of View 1 answers too close to call, holding "
              f"{int((wrong & inside).sum())} of the {int(wrong.sum())} wrong; {100 * mirrored_here.mean():.1f}% mirrored")
    print(f"  wrong answers' plain similarities: {', '.join(f'{v:.3f}' for v in np.sort(plain[wrong]))}; "
          f"highest different-people pair {plain[~same].max():.3f}")
    strangers = np.sort(plain[~same])[::-1]  # 1:N: how many different-people pairs a naming threshold lets through
    match = model_profile(config.profile).match_threshold
    print(f"  different-people pairs at or above the profile's 1:N threshold {match:g}: {int((strangers >= match).sum())}"
          f" of {len(strangers)}; the 20 highest: {', '.join(f'{v:.3f}' for v in strangers[:20])}")
    if args.like:
        like_thresholds(json.loads(Path(args.like).read_text()), same=plain[same], different=plain[~same])
    if args.json:
        Path(args.json).write_text(json.dumps({"profile": config.profile, "same": plain[same].tolist(),
                                               "different": plain[~same].tolist()}))


def like_thresholds(other: dict, *, same: np.ndarray, different: np.ndarray) -> None:
    """This model's thresholds placed as another profile's are (its --json): as many standard
    deviations above the mean of View 1's different-people similarities (the 1:N naming and the
    unknown thresholds: what they keep out; on View 1 no different-people pair reaches either, so
    a share of pairs cannot place them), and of its same-person ones (the strong threshold)."""
    known = model_profile(other["profile"])
    for name, value, pairs, theirs, ours in (
        ("1:N naming", known.match_threshold, "different-people", other["different"], different),
        ("unknown", known.unknown_threshold, "different-people", other["different"], different),
        ("strong", known.strong_threshold, "same-person", other["same"], same),
    ):
        theirs = np.asarray(theirs)
        z = (value - theirs.mean()) / theirs.std()
        print(f"  like {known.name}'s {name} threshold {value:g} ({z:+.2f} sd from the mean of its {pairs} pairs, "
              f"{theirs.mean():.3f} ± {theirs.std():.3f}): {ours.mean() + z * ours.std():.3f} "
              f"(ours {ours.mean():.3f} ± {ours.std():.3f})")
