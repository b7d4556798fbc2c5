"""Walk-by sequences on LFW: identities decided over tracks vs. frame by frame, same frames, same run.

Enrolled: the first photo of each LFW person with two or more photos, split as bench/identify.py
does (``--people``; all 1,680 by default: a small gallery names no stranger either way).
``--known`` of them walk by once, in another of their photos, and ``--strangers`` one-photo
people (never enrolled). A walk-by is ``--frames`` 640x480 frames: the photo on a mid-grey
canvas, the face growing from ~40 to ~115 px wide while drifting sideways, some frames blurred,
some darkened (``--seed``). Walks come 10 s apart, each followed by two empty frames, through
ONE ``CameraPipeline`` (one camera) whose tracks end by ``idle()``; a walk's decision is its
longest track's identity (faces off the photo's centre are bystanders in the LFW photo).

The baseline decides each of the same frames on its own, as snapshots were before tracks:
``engine.analyze`` (every face) and ``Recognizer.assign`` on a second recognizer with the same
gallery and thresholds, the walker's face counted. Reported: known walks named right, named
wrongly, left unknown; strangers named; the same per frame and "as events" (a walk named wrongly
when ANY frame named a wrong person, a stranger named when ANY frame named someone: what one row
per frame shows a user); provisional IDs made during stranger walks; CPU time per frame of each
path. PASS: the track vote names wrongly and names strangers less often than the frame events
(or neither ever does); ``--check`` exits 1 on FAIL.

    .venv/bin/python bench/walkby.py                  # 1,680 enrolled, 200 + 200 walks x 8 frames, ~2.5 min
    .venv/bin/python bench/walkby.py --quick          # 40 enrolled, 30 + 30 walks, ~20 s
    .venv/bin/python bench/walkby.py --people 300 --json walkby.json --check
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

# One face at a time: a BLAS thread pool would only spin, and count as CPU time per frame.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from identify import DEFAULT_CACHE, DEFAULT_LFW, EmbeddingCache, embed_missing, pct, split_lfw  # noqa: E402

from identity.live.pipeline import CameraPipeline  # noqa: E402
from identity.live.recognizer import Recognizer, Thresholds  # noqa: E402
from identity.matching import Gallery  # noqa: E402
from identity.vision import EngineConfig, get_engine  # noqa: E402

WIDTH, HEIGHT, GREY = 640, 480, 128
PHOTO_PX = (105, 300)  # photo height first -> last frame; an LFW face is ~0.38 of it wide
FRAME_S, GAP_S, EMPTY_FRAMES = 0.2, 10.0, 2  # 5 fps; walks further apart than the track timeout
BLUR_P, DARK_P = 0.25, 0.25  # share of frames blurred / darkened
WALKER_OFF = 0.15  # a face centred this close to the photo centre (in photo heights) is the walker (seen: < 0.1)


@dataclass
class Walk:
    index: int
    photo: str  # relative to images/
    person: int | None  # the enrolled person shown; None for a stranger


@dataclass
class WalkResult:
    walk: Walk
    tracks: int = 0  # the walker's tracks
    bystanders: int = 0  # tracks of other faces in the photo
    track_person: int | None = None  # named by the longest track
    track_label: str | None = None  # its stranger label
    decided: bool = False
    frame_person: list = field(default_factory=list)  # per frame: person named, else None
    frame_label: list = field(default_factory=list)  # per frame: stranger label, else None
    frame_faces: list = field(default_factory=list)  # per frame: faces found


class Labels:
    """A recognizer's new_stranger: remembers which walk made each label."""

    def __init__(self, prefix: str):
        self.prefix, self.current, self.made = prefix, -1, {}

    def __call__(self) -> str:
        label = f"{self.prefix}{len(self.made) + 1}"
        self.made[label] = self.current
        return label


@dataclass
class Stopwatch:
    cpu: float = 0.0
    wall: float = 0.0
    frames: int = 0

    @contextmanager
    def timing(self, frames: int):
        cpu, wall = time.process_time(), time.perf_counter()
        yield
        self.cpu += time.process_time() - cpu
        self.wall += time.perf_counter() - wall
        self.frames += frames

    def per_frame(self) -> dict:
        n = max(self.frames, 1)
        return {"cpu_s": self.cpu / n, "wall_s": self.wall / n, "frames": self.frames}


def choose_walks(images_dir: Path, people: int, known: int, strangers: int, seed: int):
    """Enrolled photos and ids, then the walks (known and strangers shuffled together)."""
    split = split_lfw(images_dir, None)
    enrolled, ids = split.enrolled[: people or None], split.enrolled_person[: people or None]
    others: dict[int, list[str]] = {}
    for photo, person in zip(split.known_probes, split.known_probe_person):
        others.setdefault(person, []).append(photo)
    rng = np.random.default_rng(seed)
    walkers = rng.choice(ids, size=min(known, len(ids)), replace=False)
    chosen = [(str(rng.choice(others[int(p)])), int(p)) for p in walkers]
    chosen += [(str(s), None) for s in rng.choice(split.strangers, size=min(strangers, len(split.strangers)),
                                                    replace=False)]
    rng.shuffle(chosen)
    return enrolled, ids, [Walk(i, photo, person) for i, (photo, person) in enumerate(chosen)]


def paste(canvas: np.ndarray, photo: np.ndarray, cx: float, cy: float) -> None:
    """Put `photo` centred at (cx, cy), clipped to the canvas."""
    h, w = photo.shape[:2]
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    x1, y1 = max(x0, 0), max(y0, 0)
    x2, y2 = min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    canvas[y1:y2, x1:x2] = photo[y1 - y0 : y2 - y0, x1 - x0 : x2 - x0]


@dataclass
class Frame:
    image: np.ndarray
    centre: np.ndarray  # where the walker's photo (and so their face) is centred
    size: int  # the photo's height, px


def off_centre(box: np.ndarray, frame: Frame) -> float:
    """How far a face box is from the walker's photo centre, in photo heights."""
    return float(np.linalg.norm((box[:2] + box[2:]) / 2 - frame.centre)) / frame.size


def walk_frames(photo: np.ndarray, frames: int, seed: int, index: int) -> list[Frame]:
    """A person approaching a door: growing, drifting sideways, some frames blurred or dark."""
    rng = np.random.default_rng([seed, index])  # per walk: the same frames whatever the order
    start_x, drift = rng.uniform(0.35, 0.65) * WIDTH, rng.choice([-1, 1]) * rng.uniform(40, 100)
    out = []
    for i, height in enumerate(np.geomspace(*PHOTO_PX, frames)):
        image, size = np.full((HEIGHT, WIDTH, 3), GREY, np.uint8), int(round(height))
        centre = np.array([start_x + drift * (i / max(frames - 1, 1) - 0.5), HEIGHT / 2], np.float32)
        paste(image, cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA), *centre)
        if rng.random() < BLUR_P:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(1.5, 3.0))
        if rng.random() < DARK_P:  # dim light: gamma darkens the shadows most
            lut = (255 * (np.arange(256) / 255) ** rng.uniform(1.8, 2.6)).astype(np.uint8)
            image = cv2.LUT(image, lut)
        out.append(Frame(image, centre, size))
    return out


def track_walk(pipeline: CameraPipeline, sequence: list[Frame], now: float, clock: Stopwatch, result: WalkResult):
    """One walk through the camera's pipeline, ended by idle(); returns the next walk's time."""
    ended, at = [], {}
    for frame in sequence:
        with clock.timing(1):
            ended += pipeline.process(frame.image, now=now).ended
        at[now], now = frame, now + FRAME_S
    for _ in range(EMPTY_FRAMES):  # the door is empty again: no track may be fed by it
        ended += pipeline.process(np.full_like(sequence[0].image, GREY), now=now).ended
        now += FRAME_S
    with clock.timing(0):
        ended += pipeline.idle(now=now + GAP_S)
    # LFW photos hold the odd bystander: their tracks are not the walker's.
    walker = [t for t in ended if t.last_seen in at and off_centre(t.box, at[t.last_seen]) < WALKER_OFF]
    result.tracks, result.bystanders = len(walker), len(ended) - len(walker)
    if walker:
        track = max(walker, key=lambda t: (t.frames, -off_centre(t.box, at[t.last_seen])))
        identity = track.identity
        result.decided = identity is not None
        result.track_person = identity.person_id if identity else None
        result.track_label = identity.stranger_label if identity else None
    return now + GAP_S


def frames_walk(recognizer: Recognizer, engine, sequence: list[Frame], clock: Stopwatch, result: WalkResult):
    """The same frames decided one by one (every face assigned; the walker's face counted)."""
    for frame in sequence:
        with clock.timing(1):
            faces = engine.analyze(frame.image)
            assignments = recognizer.assign(np.stack([f.embedding for f in faces])) if faces else []
        walker = min(assignments, key=lambda a: off_centre(faces[a.face_index].box, frame), default=None)
        result.frame_person.append(walker.person_id if walker and walker.known else None)
        result.frame_label.append(walker.stranger_label if walker else None)
        result.frame_faces.append(len(faces))


def run_walks(walks: list[Walk], images_dir: Path, engine, gallery: Gallery, frames: int, seed: int):
    """Every walk through the pipeline, then the same frames one by one; results and timings."""
    thresholds = Thresholds()
    track_labels, frame_labels = Labels("T-"), Labels("F-")
    pipeline = CameraPipeline(engine=engine, recognizer=Recognizer(
        gallery=gallery, new_stranger=track_labels, thresholds=thresholds))
    single = Recognizer(gallery=gallery, new_stranger=frame_labels, thresholds=thresholds)
    tracked, by_frame, now, results = Stopwatch(), Stopwatch(), 0.0, []
    for n, walk in enumerate(walks):
        sequence = walk_frames(cv2.imread(str(images_dir / walk.photo)), frames, seed, walk.index)
        track_labels.current = frame_labels.current = walk.index
        result = WalkResult(walk)
        now = track_walk(pipeline, sequence, now, tracked, result)
        frames_walk(single, engine, sequence, by_frame, result)
        results.append(result)
        if (n + 1) % 50 == 0:
            print(f"  {n + 1}/{len(walks)} walks", flush=True)
    leftover = len(pipeline.finish())
    return results, {"track": track_labels.made, "frames": frame_labels.made}, tracked, by_frame, leftover


def share(flags) -> float:
    flags = list(flags)
    return sum(flags) / max(len(flags), 1)


def outcome_rates(known: list[WalkResult], strangers: list[WalkResult], picks, *, events: bool) -> dict:
    """Shares of the persons named by `picks(walk)` (one per walk or per frame), over all picks,
    or with `events` per walk: named wrongly when any pick was wrong, unknown when all were."""
    def measure(results, test, every=False):
        if not events:
            return share(test(p, r) for r in results for p in picks(r))
        return share((all if every else any)(test(p, r) for p in picks(r)) for r in results)

    return {
        "right": measure(known, lambda p, r: p is not None and p == r.walk.person),
        "wrong": measure(known, lambda p, r: p is not None and p != r.walk.person),
        "unknown": measure(known, lambda p, r: p is None, every=True),
        "stranger_named": measure(strangers, lambda p, r: p is not None),
    }


def tally(results: list[WalkResult], made: dict[str, dict]) -> dict:
    """The rates of both methods (fractions), and the provisional IDs each made for strangers."""
    known = [r for r in results if r.walk.person is not None]
    strangers = [r for r in results if r.walk.person is None]
    stranger_walks = {r.walk.index for r in strangers}
    merged = lambda r: any(lb and made["frames"][lb] != r.walk.index for lb in r.frame_label)  # noqa: E731
    return {
        "known_walks": len(known), "stranger_walks": len(strangers),
        "track": outcome_rates(known, strangers, lambda r: [r.track_person], events=False),
        "frames": {**outcome_rates(known, strangers, lambda r: r.frame_person, events=False),
                   "no_face": share(n == 0 for r in results for n in r.frame_faces)},
        "events": outcome_rates(known, strangers, lambda r: r.frame_person, events=True),
        "split_walks": sum(r.tracks > 1 for r in results),
        "undecided_walks": sum(not r.decided for r in results),
        "bystander_tracks": sum(r.bystanders for r in results),
        "provisional_ids_for_strangers": {m: sum(w in stranger_walks for w in labels.values())
                                          for m, labels in made.items()},
        "strangers_merged": {  # given a label made during another walk: two people on one ID
            "track": sum(bool(r.track_label) and made["track"][r.track_label] != r.walk.index for r in strangers),
            "frames": sum(merged(r) for r in strangers),
        },
    }


def verdict(rates: dict) -> bool:
    """The track vote names wrongly and names strangers less often than the frame events."""
    fewer = lambda key: rates["track"][key] < rates["events"][key] or rates["events"][key] == 0  # noqa: E731
    return fewer("wrong") and fewer("stranger_named")


def report(rates: dict, timing: dict, passed: bool) -> None:
    t, f, e = rates["track"], rates["frames"], rates["events"]
    print(f"\n{'':34}{'track vote':>12}{'per frame':>12}{'frames as events':>18}")
    print(f"known walks ({rates['known_walks']}), % of walks / frames / walks:")
    for key, name in (("right", "named right"), ("wrong", "named wrongly"), ("unknown", "left unknown")):
        print(f"  {name:32}{pct(t[key]):>12}{pct(f[key]):>12}{pct(e[key]):>18}")
    print(f"strangers ({rates['stranger_walks']}):")
    print(f"  {'named (any person)':32}{pct(t['stranger_named']):>12}{pct(f['stranger_named']):>12}"
          f"{pct(e['stranger_named']):>18}")
    ids, merged, n = rates["provisional_ids_for_strangers"], rates["strangers_merged"], rates["stranger_walks"]
    print(f"  {'provisional IDs made':32}{ids['track']:>12}{ids['frames']:>12}"
          f"   ({ids['track'] / max(n, 1):.2f} vs {ids['frames'] / max(n, 1):.2f} per stranger)")
    label = "given another walk's label"
    print(f"  {label:32}{merged['track']:>12}{merged['frames']:>12}")
    tp, fp = timing["pipeline"], timing["frames"]
    print(f"{'CPU ms per frame':34}{1000 * tp['cpu_s']:>12.1f}{1000 * fp['cpu_s']:>12.1f}"
          f"   (wall {1000 * tp['wall_s']:.1f} vs {1000 * fp['wall_s']:.1f} ms)")
    print(f"walks split into several tracks: {rates['split_walks']}; with no decided track: "
          f"{rates['undecided_walks']}; bystanders' tracks: {rates['bystander_tracks']}; "
          f"frames with no face found: {pct(f['no_face']).strip()} %")
    print(f"\n{'PASS' if passed else 'FAIL'}: track vote named wrongly {pct(t['wrong']).strip()} % vs "
          f"{pct(e['wrong']).strip()} % of walks by frames, strangers named {pct(t['stranger_named']).strip()} % vs "
          f"{pct(e['stranger_named']).strip()} %")
    print(f"as rates: named wrongly {pct(t['wrong']).strip()} % of walks vs {pct(f['wrong']).strip()} % of frames, "
          f"strangers named {pct(t['stranger_named']).strip()} % vs {pct(f['stranger_named']).strip()} %")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", default=str(DEFAULT_LFW), help="LFW folder (images/<Name>/<Name>_NNNN.jpg)")
    parser.add_argument("--people", type=int, help="enrolled people (default 0: all 1,680)")
    parser.add_argument("--known", type=int, help="known walk-bys (default 200)")
    parser.add_argument("--strangers", type=int, help="stranger walk-bys (default 200)")
    parser.add_argument("--frames", type=int, default=8, help="frames per walk-by")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="40 enrolled, 30 known and 30 strangers")
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime intra-op threads")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="gallery embedding cache (.npz)")
    parser.add_argument("--json", help="write the summary to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 on FAIL")
    args = parser.parse_args()
    defaults = (40, 30, 30) if args.quick else (0, 200, 200)
    people, known, strangers = (d if v is None else v for v, d in zip((args.people, args.known, args.strangers),
                                                                      defaults))
    images_dir = Path(args.lfw) / "images"
    if not images_dir.is_dir():
        parser.error(f"no LFW images at {images_dir}")

    started = time.perf_counter()
    engine = get_engine(EngineConfig.from_env(intra_op_threads=args.threads, inter_op_threads=1)).load()
    enrolled, ids, walks = choose_walks(images_dir, people, known, strangers, args.seed)
    cache = EmbeddingCache(Path(args.cache), engine.model_id)
    embed_missing(engine, enrolled, images_dir, cache)
    gallery = Gallery(np.stack([cache.embeddings[p] for p in enrolled]), ids)
    print(f"walk-by: {len(enrolled)} enrolled, {sum(w.person is not None for w in walks)} known + "
          f"{sum(w.person is None for w in walks)} stranger walks x {args.frames} frames; model {engine.model_id}, "
          f"{args.threads} ORT thread(s), OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}", flush=True)

    results, made, tracked, by_frame, leftover = run_walks(walks, images_dir, engine, gallery, args.frames, args.seed)
    rates = tally(results, made)
    timing = {"pipeline": tracked.per_frame(), "frames": by_frame.per_frame()}
    passed = verdict(rates)
    report(rates, timing, passed)
    seconds = time.perf_counter() - started
    print(f"tracks left open after the last walk: {leftover}; {seconds:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "model_id": engine.model_id, "enrolled": len(enrolled), "frames_per_walk": args.frames,
            "seed": args.seed, "thresholds": asdict(Thresholds()), **rates, "timing": timing,
            "leftover_tracks": leftover, "pass": passed, "seconds": seconds,
            "walks": [{"photo": r.walk.photo, "person": r.walk.person, "track_person": r.track_person,
                       "tracks": r.tracks, "frame_person": r.frame_person} for r in results],
        }, indent=1))
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
