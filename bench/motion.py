"""The motion gate's saving on a doorway camera: the same frames through one camera's pipeline
with the gate off (every frame detected) and on (identity.live.motion), taking turns pass by
pass in one run; CPU per frame of each, their ratio, the share of frames the detector was
spared, and whether both decided the same for every passer-by.

Footage: `--passes` passers-by (LFW people, half of them enrolled from another photo, half
strangers), each `--pass-frames` frames walking towards the door (bench/walkby_scenes.py),
then `--gap-frames` frames of the empty doorway (load.py's 10 and 20 by default); every frame
gets camera noise (`--noise`, sensor noise's sigma in grey levels) and a JPEG round trip.

    .venv/bin/python bench/motion.py                  # 40 passers-by, 10 + 20 frames each
    .venv/bin/python bench/motion.py --passes 10 --json motion.json
    .venv/bin/python bench/motion.py --min-face-px 40   # and the gated camera looking for faces of 40 px up
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from identify import DEFAULT_LFW, split_lfw  # noqa: E402
from walkby_scenes import GREY, HEIGHT, WIDTH, walk_frames  # noqa: E402

from identity.live.motion import MotionSettings  # noqa: E402
from identity.live.pipeline import CameraPipeline  # noqa: E402
from identity.live.recognizer import Recognizer  # noqa: E402
from identity.matching import Gallery  # noqa: E402
from identity.vision import EngineConfig, get_engine  # noqa: E402


def camera_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noisy = np.clip(image.astype(np.float32) + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)
    return cv2.imdecode(cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 85])[1], cv2.IMREAD_COLOR)


def footage(images_dir: Path, args) -> tuple[list[str], list[int], list[tuple[int | None, list[np.ndarray]]]]:
    """Enrolled photos and ids, then per passer-by: the person shown (None: a stranger) and the frames."""
    split = split_lfw(images_dir, None)
    rng = np.random.default_rng(args.seed)
    known = rng.choice(len(split.known_probes), size=args.passes - args.passes // 2, replace=False)
    strangers = rng.choice(len(split.strangers), size=args.passes // 2, replace=False)
    shown = [(split.known_probes[i], int(split.known_probe_person[i])) for i in known]
    shown += [(split.strangers[i], None) for i in strangers]
    order = rng.permutation(len(shown))
    people = sorted({person for _, person in shown if person is not None})
    enrolled = [split.enrolled[split.enrolled_person.index(p)] for p in people]
    passes = []
    for index in order:
        photo, person = shown[index]
        walk = walk_frames(cv2.imread(str(images_dir / photo)), args.pass_frames, args.seed, int(index))
        frames = [f.image for f in walk] + [np.full((HEIGHT, WIDTH, 3), GREY, np.uint8)] * args.gap_frames
        passes.append((person, [camera_noise(frame, args.noise, rng) for frame in frames]))
    return enrolled, people, passes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW))
    parser.add_argument("--passes", type=int, default=40)
    parser.add_argument("--pass-frames", type=int, default=10)
    parser.add_argument("--gap-frames", type=int, default=20)
    parser.add_argument("--noise", type=float, default=6.0, help="camera noise, sigma in grey levels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-face-px", type=int, default=0,
                        help="also the gated camera with its detector input sized to faces this wide (px) and up")
    parser.add_argument("--json", help="write the summary to this file")
    args = parser.parse_args()
    images_dir = Path(args.lfw) / "images"
    if not images_dir.is_dir():
        parser.error(f"no LFW images at {images_dir}")

    engine = get_engine(EngineConfig.from_env(intra_op_threads=1, inter_op_threads=1)).load()
    enrolled, people, passes = footage(images_dir, args)
    gallery = Gallery(np.stack([engine.analyze(cv2.imread(str(images_dir / p)))[0].embedding for p in enrolled]),
                      people)
    def pipeline(gate: bool, min_face_px: int = 0) -> CameraPipeline:
        return CameraPipeline(engine=engine, recognizer=Recognizer(gallery=gallery, new_stranger=lambda: "S"),
                              motion=MotionSettings() if gate else None, min_face_px=min_face_px)

    pipelines = {"off": pipeline(False), "on": pipeline(True)}
    if args.min_face_px:  # the gated camera with its detector input sized to its smallest face
        pipelines["sized"] = pipeline(True, args.min_face_px)
    cpu, still, named = dict.fromkeys(pipelines, 0.0), dict.fromkeys(pipelines, 0), {k: [] for k in pipelines}
    frames, now = 0, 0.0
    for person, images in passes:
        for key, camera in pipelines.items():  # one pass each in turn: the same load on every one
            ended = []
            started = time.process_time()
            for index, image in enumerate(images):
                result = camera.process(image, now=now + index * 0.2)
                ended += result.ended
                still[key] += not result.detected
            cpu[key] += time.process_time() - started
            longest = max(ended, key=lambda t: t.frames, default=None)
            named[key].append(longest.identity.person_id if longest and longest.identity else None)
        frames += len(images)
        now += len(images) * 0.2
    per_frame = {key: cpu[key] * 1000 / frames for key in pipelines}
    agree = {key: sum(a == b for a, b in zip(named["off"], named[key])) for key in pipelines}
    right = {key: sum(n == person for n, (person, _) in zip(named[key], passes) if person is not None)
             for key in pipelines}
    known = sum(person is not None for person, _ in passes)
    summary = {
        "passes": len(passes), "frames": frames, "pass_frames": args.pass_frames, "gap_frames": args.gap_frames,
        "noise": args.noise, "seed": args.seed, "min_face_px": args.min_face_px,
        "cpu_ms_per_frame": {key: round(value, 2) for key, value in per_frame.items()},
        "ratio_to_off": {key: round(per_frame[key] / per_frame["off"], 3) for key in pipelines},
        "still_share": round(still["on"] / frames, 3), "same_decision_as_off": agree,
        "known_named_right": {**right, "of": known},
    }
    print(f"motion gate: {len(passes)} passers-by x ({args.pass_frames} + {args.gap_frames} empty) frames, "
          f"noise sigma {args.noise:g}, seed {args.seed}, 1 ORT thread")
    print(f"  frames the detector was spared by the gate: {still['on']} of {frames} ({summary['still_share']:.1%})")
    for key, label in (("off", "gate off"), ("on", "gate on"), ("sized", f"gate on, faces of {args.min_face_px} px up")):
        if key in pipelines:
            print(f"  {label}: CPU per frame {per_frame[key]:.1f} ms ({summary['ratio_to_off'][key]}x); the same "
                  f"decision as gate off for {agree[key]} of {len(passes)}; known named right {right[key]} of {known}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
