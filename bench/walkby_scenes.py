"""bench/walkby.py's sequences: who walks by, and the frames they make (plain numpy + OpenCV).

Three scenarios, each walk ``frames`` 640x480 frames on a mid-grey canvas, some frames blurred,
some darkened:

- ``alone``: one person approaching the door, the photo growing from 105 to 300 px high
  (face ~40 to ~115 px wide) while drifting 40-100 px sideways.
- ``cross``: two people walking past each other across the frame, the nearer one (photo
  90 -> 200 px) in front of the one further back (0.8 times as high): the one behind is hidden
  for a frame or two where their paths cross.
- ``swap``: two people side by side (photos 90 -> 200 px) who trade places half-way through,
  from one frame to the next: each face appears where the other's track was.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from identify import split_lfw

WIDTH, HEIGHT, GREY = 640, 480, 128
PHOTO_PX = (105, 300)  # alone: photo height first -> last frame; an LFW face is ~0.38 of it wide
PAIR_PX = (90, 200)  # two at once: smaller, so that both fit
BEHIND = 0.8  # cross: the one further back is this much smaller
BLUR_P, DARK_P = 0.25, 0.25  # share of frames blurred / darkened
SCENARIOS = ("alone", "cross", "swap")


@dataclass
class Walker:
    photo: str  # relative to images/
    person: int | None  # the enrolled person shown; None for a stranger


@dataclass
class Walk:
    index: int
    scenario: str
    walkers: list[Walker]


@dataclass
class Frame:
    image: np.ndarray
    centres: list[np.ndarray]  # where each walker's photo (and so their face) is centred
    sizes: list[int]  # each walker's photo height, px


def choose_walks(images_dir: Path, people: int, known: int, strangers: int, pairs: int, seed: int):
    """Enrolled photos and ids, then the walks: `known` and `strangers` alone (shuffled
    together), then `pairs` crossing and `pairs` swapping, each walker known or a stranger by a
    coin toss (strangers never seen alone, two people per pair)."""
    split = split_lfw(images_dir, None)
    enrolled, ids = split.enrolled[: people or None], split.enrolled_person[: people or None]
    others: dict[int, list[str]] = {}
    for photo, person in zip(split.known_probes, split.known_probe_person):
        others.setdefault(person, []).append(photo)
    rng = np.random.default_rng(seed)
    walkers = rng.choice(ids, size=min(known, len(ids)), replace=False)
    chosen = [(str(rng.choice(others[int(p)])), int(p)) for p in walkers]
    lone = rng.choice(split.strangers, size=min(strangers, len(split.strangers)), replace=False)
    chosen += [(str(s), None) for s in lone]
    rng.shuffle(chosen)
    walks = [Walk(i, "alone", [Walker(photo, person)]) for i, (photo, person) in enumerate(chosen)]

    pair_rng = np.random.default_rng([seed, 2])  # the walks alone stay as they were without pairs
    unseen = sorted(set(split.strangers) - set(lone))
    pair_strangers = iter(pair_rng.permutation(unseen))
    for scenario in SCENARIOS[1:]:
        for _ in range(pairs):
            people_shown = pair_rng.choice(ids, size=2, replace=False)
            pair = [Walker(str(pair_rng.choice(others[int(p)])), int(p)) if pair_rng.random() < 0.5
                    else Walker(str(next(pair_strangers)), None) for p in people_shown]
            walks.append(Walk(len(walks), scenario, pair))
    return enrolled, ids, walks


def paste(canvas: np.ndarray, photo: np.ndarray, cx: float, cy: float) -> None:
    """Put `photo` centred at (cx, cy), clipped to the canvas."""
    h, w = photo.shape[:2]
    x0, y0 = int(round(cx - w / 2)), int(round(cy - h / 2))
    x1, y1 = max(x0, 0), max(y0, 0)
    x2, y2 = min(x0 + w, canvas.shape[1]), min(y0 + h, canvas.shape[0])
    canvas[y1:y2, x1:x2] = photo[y1 - y0 : y2 - y0, x1 - x0 : x2 - x0]


def off_centre(box: np.ndarray, frame: Frame, walker: int = 0) -> float:
    """How far a face box is from a walker's photo centre, in that photo's heights."""
    return float(np.linalg.norm((box[:2] + box[2:]) / 2 - frame.centres[walker])) / frame.sizes[walker]


def degraded(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if rng.random() < BLUR_P:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(1.5, 3.0))
    if rng.random() < DARK_P:  # dim light: gamma darkens the shadows most
        lut = (255 * (np.arange(256) / 255) ** rng.uniform(1.8, 2.6)).astype(np.uint8)
        image = cv2.LUT(image, lut)
    return image


def walk_frames(photo: np.ndarray, frames: int, seed: int, index: int) -> list[Frame]:
    """A person approaching a door: growing, drifting sideways, some frames blurred or dark."""
    rng = np.random.default_rng([seed, index])  # per walk: the same frames whatever the order
    start_x, drift = rng.uniform(0.35, 0.65) * WIDTH, rng.choice([-1, 1]) * rng.uniform(40, 100)
    out = []
    for i, height in enumerate(np.geomspace(*PHOTO_PX, frames)):
        image, size = np.full((HEIGHT, WIDTH, 3), GREY, np.uint8), int(round(height))
        centre = np.array([start_x + drift * (i / max(frames - 1, 1) - 0.5), HEIGHT / 2], np.float32)
        paste(image, cv2.resize(photo, (size, size), interpolation=cv2.INTER_AREA), *centre)
        out.append(Frame(degraded(image, rng), [centre], [size]))
    return out


def pair_frames(photos: list[np.ndarray], scenario: str, frames: int, seed: int, index: int) -> list[Frame]:
    """Two people at once (`scenario` cross or swap), the one in front pasted last."""
    rng = np.random.default_rng([seed, index])
    left, right = rng.uniform(0.22, 0.3) * WIDTH, rng.uniform(0.7, 0.78) * WIDTH
    out = []
    for i, height in enumerate(np.geomspace(*PAIR_PX, frames)):
        t = i / max(frames - 1, 1)
        if scenario == "cross":  # the first walks left to right in front, the second back the other way
            xs, scales, ys = [left + (right - left) * t, right - (right - left) * t], [1.0, BEHIND], [0.5, 0.45]
        else:  # side by side, then each where the other was
            xs = [left, right] if i < frames // 2 else [right, left]
            scales, ys = [1.0, 1.0], [0.5, 0.5]
        image = np.full((HEIGHT, WIDTH, 3), GREY, np.uint8)
        centres = [np.array([x, y * HEIGHT], np.float32) for x, y in zip(xs, ys)]
        sizes = [int(round(height * s)) for s in scales]
        for walker in sorted(range(2), key=lambda w: sizes[w]):  # the smaller (further) one first
            paste(image, cv2.resize(photos[walker], (sizes[walker],) * 2, interpolation=cv2.INTER_AREA),
                  *centres[walker])
        out.append(Frame(degraded(image, rng), centres, sizes))
    return out


def sequence(walk: Walk, images_dir: Path, frames: int, seed: int) -> list[Frame]:
    photos = [cv2.imread(str(images_dir / w.photo)) for w in walk.walkers]
    if walk.scenario == "alone":
        return walk_frames(photos[0], frames, seed, walk.index)
    return pair_frames(photos, walk.scenario, frames, seed, walk.index)
