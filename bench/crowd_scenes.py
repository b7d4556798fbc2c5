"""bench/crowd.py's class photos: LFW faces pasted in rows on a 1920x1080 scene at one face width
(plain numpy + OpenCV).

Each pasted face is a square around the subject of an LFW photo (twice its box wide), scaled so
that the detector's box around it would be `width` pixels wide (the box as found at full size),
placed on a jittered grid of rows. Some faces are rolled a little (the head tilted), some blurred
by the scaling (shrunk further, then enlarged back), on a grey scene with a gradient and noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from walkby_scenes import paste

SCENE_W, SCENE_H = 1920, 1080
CROP_SPAN = 2.0  # the pasted square, in face-box widths
ROLL_P, ROLL_DEG = 0.25, 12.0  # share of faces tilted, and by up to
SOFT_P, SOFT_SHRINK = 0.25, (0.5, 0.7)  # share blurred by the scaling, and shrunk to this share first


@dataclass
class Subject:
    """One LFW photo's subject as found at full size: its box and the person shown."""

    photo: np.ndarray  # BGR
    box: np.ndarray  # x1, y1, x2, y2
    person: int


@dataclass
class Scene:
    image: np.ndarray
    boxes: np.ndarray  # (N, 4) where each pasted face's box lies
    people: list[int]


def face_square(subject: Subject, width: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The subject's face `width` px wide in a square CROP_SPAN times that: (square, face box in it)."""
    box = subject.box
    face_w = float(box[2] - box[0])
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = CROP_SPAN * face_w
    if rng.random() < ROLL_P:
        turn = cv2.getRotationMatrix2D((float(cx), float(cy)), rng.uniform(-ROLL_DEG, ROLL_DEG), 1.0)
        photo = cv2.warpAffine(subject.photo, turn, subject.photo.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    else:
        photo = subject.photo
    # The square at full size (edges reflected where it reaches past the photo), then scaled.
    shift = np.float32([[1, 0, side / 2 - cx], [0, 1, side / 2 - cy]])
    full = cv2.warpAffine(photo, shift, (int(round(side)),) * 2, borderMode=cv2.BORDER_REFLECT)
    scale = width / face_w
    out = max(2, int(round(side * scale)))
    if rng.random() < SOFT_P:
        small = max(2, int(round(out * rng.uniform(*SOFT_SHRINK))))
        square = cv2.resize(cv2.resize(full, (small, small), interpolation=cv2.INTER_AREA), (out, out),
                            interpolation=cv2.INTER_LINEAR)
    else:
        square = cv2.resize(full, (out, out), interpolation=cv2.INTER_AREA)
    offset = np.array([side / 2 - cx, side / 2 - cy] * 2, np.float32)
    return square, (box + offset) * (out / side)


def background(rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.mgrid[0:SCENE_H, 0:SCENE_W].astype(np.float32)
    base = 90 + 70 * (0.6 * xs / SCENE_W + 0.4 * ys / SCENE_H)
    noise = rng.normal(0, 8, (SCENE_H, SCENE_W)).astype(np.float32)
    grey = np.clip(base + noise, 0, 255).astype(np.uint8)
    return cv2.merge([grey, grey, grey])


def class_photo(subjects: list[Subject], width: int, rng: np.random.Generator) -> Scene:
    """The subjects in rows on one scene, each face `width` px wide, in a grid cell each."""
    count = len(subjects)
    cols = int(np.ceil(np.sqrt(count * SCENE_W / SCENE_H)))
    rows = int(np.ceil(count / cols))
    cell_w, cell_h = SCENE_W / cols, SCENE_H / rows
    image = background(rng)
    boxes = []
    for k, subject in enumerate(subjects):
        square, box = face_square(subject, width, rng)
        side = square.shape[0]
        slack_x, slack_y = max(0.0, (cell_w - side) / 2), max(0.0, (cell_h - side) / 2)
        cx = (k % cols + 0.5) * cell_w + rng.uniform(-slack_x, slack_x)
        cy = (k // cols + 0.5) * cell_h + rng.uniform(-slack_y, slack_y)
        paste(image, square, cx, cy)
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        boxes.append(box + np.array([x0, y0, x0, y0], np.float32))
    return Scene(image=image, boxes=np.stack(boxes), people=[s.person for s in subjects])
