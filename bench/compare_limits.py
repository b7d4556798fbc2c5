"""Which features of a photo limit a comparison: how far a smaller, a blurred or a turned face
moves a same-person similarity, against the band that makes an answer "too close to call".

LFW (deep-funneled, ``../shared/faces/lfw``): the people with at least ``--min-photos`` photos
(alphabetical, ``--people`` of them), each photo's subject found as ``bench/lfw.py`` finds it.

- size: each frontal, sharp photo shrunk so that its face is N px (INTER_AREA), embedded again,
  and compared with the person's other photos; the mean fall of those similarities per N.
- blur: the same photos blurred (Gaussian, sigma 1..5); the fall grouped by the blurred face's
  measured sharpness (``FaceQuality.blur``, the Laplacian variance).
- relatives: every photo of ``--pair`` (Venus and Serena Williams, sisters) against every photo
  of the other, answered at the engine's threshold: the share too close to call, and wrong
  ("same person"), for bands around the default.
- turn: no photo can be turned after the fact, so each photo's mean similarity to the person's
  frontal photos (|yaw| < 10°), grouped by its own measured turn, against the frontal photos' own.

A feature limits a close answer where its mean fall alone exceeds half the band
(``DEFAULT_FLIP_BAND``): a close similarity lies within the band of the threshold, half of it
away on average, so such a face can carry a close answer across the threshold. The limits found
are ``COMPARE_LIMITS`` in identity/vision/quality.py.

    .venv/bin/python bench/compare_limits.py            # ~4 min on one core
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lfw_faces import lfw_faces  # noqa: E402

from identity.vision import EngineConfig, FaceEngine  # noqa: E402
from identity.vision.adaptive import DEFAULT_FLIP_BAND  # noqa: E402

DEFAULT_LFW = ROOT.parent / "shared" / "faces" / "lfw"
SIZES = (24, 32, 40, 48, 56, 64, 80, 96)
SIGMAS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0)
BLUR_BINS = (0, 10, 20, 30, 45, 60, 90, 1e9)
YAW_BINS = (0, 10, 20, 30, 45, 90)


def people(lfw: Path, count: int, min_photos: int, per_person: int) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    for folder in sorted((lfw / "images").iterdir()):
        photos = sorted(folder.glob("*.jpg"))
        if len(photos) >= min_photos:
            found[folder.name] = photos[:per_person]
        if len(found) == count:
            break
    return found


def subject(engine: FaceEngine, image):
    return lfw_faces(engine, [image], central_first=True)[0].face


def fall(engine: FaceEngine, bgr: np.ndarray, others: np.ndarray, before: np.ndarray):
    """(mean fall of the similarities to the others, the degraded face's quality), or None: no face."""
    faces = engine.analyze(bgr, max_faces=1)
    if not faces:
        return None
    return float(np.mean(before - others @ faces[0].embedding)), faces[0].quality


def relatives(engine: FaceEngine, lfw: Path, first: str, second: str) -> None:
    """How a band answers every photo pair of two look-alike people (plain similarities)."""
    embeddings = [np.stack([subject(engine, path).embedding for path in sorted((lfw / "images" / name).glob("*.jpg"))])
                  for name in (first, second)]
    sims = (embeddings[0] @ embeddings[1].T).ravel()
    threshold = engine.config.threshold
    print(f"relatives: {first} x {second}, {sims.size} pairs, similarity {sims.min():.3f}..{sims.max():.3f} "
          f"(median {np.median(sims):.3f}), threshold {threshold}")
    for band in (0.05, DEFAULT_FLIP_BAND, 0.10, 0.15):
        close = np.abs(sims - threshold) <= band
        print(f"  band {band:.2f}: too close to call {100 * close.mean():.1f}%, 'same person' (wrong) "
              f"{100 * (sims > threshold + band).mean():.1f}%, 'different people' {100 * (sims < threshold - band).mean():.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW))
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--min-photos", type=int, default=8)
    parser.add_argument("--per-person", type=int, default=8)
    parser.add_argument("--pair", nargs=2, default=["Venus_Williams", "Serena_Williams"])
    args = parser.parse_args()
    engine = FaceEngine(EngineConfig(flip="plain", intra_op_threads=1, inter_op_threads=1)).load()
    relatives(engine, Path(args.lfw), *args.pair)
    band = DEFAULT_FLIP_BAND
    limit = band / 2
    by_size: dict[int, list[float]] = {size: [] for size in SIZES}
    missed: dict[int, int] = {size: 0 for size in SIZES}
    by_blur: list[tuple[float, float]] = []
    by_yaw: list[tuple[float, float]] = []
    frontal_own: list[float] = []
    chosen = people(Path(args.lfw), args.people, args.min_photos, args.per_person)
    for name, paths in chosen.items():
        images = [cv2.imread(str(p)) for p in paths]
        faces = [subject(engine, image) for image in images]
        embeddings = np.stack([f.embedding for f in faces])
        frontal = np.array([abs(f.quality.yaw_deg) < 10 for f in faces])
        for i, (image, face) in enumerate(zip(images, faces)):
            others = np.delete(embeddings, i, axis=0)
            before = others @ face.embedding
            reference = frontal.copy()
            reference[i] = False
            if reference.any():
                score = float(np.mean(embeddings[reference] @ face.embedding))
                if frontal[i]:
                    frontal_own.append(score)
                else:
                    by_yaw.append((abs(face.quality.yaw_deg), score))
            if not frontal[i] or face.quality.blur < 90:
                continue  # degrade only frontal, sharp faces: the fall is the degradation's own
            for size in SIZES:
                scale = size / face.quality.size_px
                if scale >= 1:
                    continue
                small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                result = fall(engine, small, others, before)
                if result is None:
                    missed[size] += 1
                else:
                    by_size[size].append(result[0])
            for sigma in SIGMAS:
                result = fall(engine, cv2.GaussianBlur(image, (0, 0), sigma), others, before)
                if result is not None:
                    by_blur.append((result[1].blur, result[0]))
    print(f"{len(chosen)} people, {sum(len(p) for p in chosen.values())} photos; band {band}")
    print("size: face px -> mean fall of same-person similarity (faces degraded, not found)")
    for size in SIZES:
        values = by_size[size]
        mark = "  > half the band" if values and np.mean(values) > limit else ""
        print(f"  {size:>4} px: {np.mean(values) if values else float('nan'):.3f} "
              f"(90th pct {np.percentile(values, 90) if values else float('nan'):.3f}; n {len(values)}, "
              f"no face {missed[size]}){mark}")
    print("blur: measured sharpness -> mean fall")
    blur = np.array(by_blur)
    for low, high in zip(BLUR_BINS, BLUR_BINS[1:]):
        inside = blur[(blur[:, 0] >= low) & (blur[:, 0] < high)] if len(blur) else blur
        if len(inside):
            mark = "  > half the band" if inside[:, 1].mean() > limit else ""
            print(f"  {low:>4.0f}..{high:<5.0f}: {inside[:, 1].mean():.3f} (n {len(inside)}){mark}")
    own = float(np.mean(frontal_own))
    print(f"turn: mean similarity to the person's frontal photos; frontal photos' own {own:.3f}")
    yaw = np.array(by_yaw)
    for low, high in zip(YAW_BINS, YAW_BINS[1:]):
        inside = yaw[(yaw[:, 0] >= low) & (yaw[:, 0] < high)] if len(yaw) else yaw
        if len(inside):
            mark = "  > half the band" if own - inside[:, 1].mean() > limit else ""
            print(f"  {low:>2}..{high:<2} deg: {inside[:, 1].mean():.3f} (fall {own - inside[:, 1].mean():.3f}, "
                  f"n {len(inside)}){mark}")


if __name__ == "__main__":
    main()
