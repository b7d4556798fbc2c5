"""Frames for the live-camera tests: a face photo placed on a 640x480 grey canvas, as a
person standing in front of a door camera."""

import time

import cv2
import numpy as np

from faceapp.redis_client import redis_client
from identity.services import frames
from tests import faces_data

SIZE = (640, 480)


def scene(name: str | None, *, x: int = 170, side: int = 300, down: int = 0) -> np.ndarray:
    """A 640x480 frame with the fixture photo `name` (None: nobody) `side` px tall at `x`,
    centred in height, `down` px lower."""
    canvas = np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)
    if name is not None:
        top = (SIZE[1] - side) // 2 + down
        canvas[top : top + side, x : x + side] = cv2.resize(faces_data.bgr(name), (side, side))
    return canvas


# Person A replaced by person B at the same place: B's photo SWAP_DOWN px lower (a shorter man; the
# faces' boxes still overlap by IoU ~0.7, so the tracker sees one place), which tells B's boxes
# from A's in a camera's overlays. 200 px photos: faces of ~75 px, too little of the frame for
# the swap alone to be a picture cut: the tracks must tell the faces apart.
SWAP_SIDE, SWAP_DOWN = 200, 12


def swap_frames(first: str, second: str, *, each: int, gap: int, blurred: int = 0) -> list[np.ndarray]:
    """`each` frames of `first`, `gap` empty frames (0: a hard cut), `each` frames of `second`, the
    first `blurred` of them too blurred to vote (he is still moving)."""
    place = lambda index: 200 + 2 * (index % 5)  # noqa: E731 (standing, swaying a little)
    frames = [scene(first, x=place(i), side=SWAP_SIDE) for i in range(each)] + [scene(None)] * gap
    seconds = [scene(second, x=place(i), side=SWAP_SIDE, down=SWAP_DOWN) for i in range(each)]
    return frames + [cv2.GaussianBlur(f, (0, 0), 3.0) if i < blurred else f for i, f in enumerate(seconds)]


def is_second(box) -> bool:
    """Whether a face box of swap_frames is the second person's (lower by SWAP_DOWN)."""
    return (box[1] + box[3]) / 2 > SIZE[1] / 2 + SWAP_DOWN / 2  # an LFW face is centred in its photo


def scene_jpeg(name: str | None, **placement) -> bytes:
    return faces_data.jpeg(scene(name, **placement), quality=85)


def live_keys_clear(camera) -> None:
    """Camera ids come back after a test database rolls back: clear that camera's live keys."""
    client = redis_client()
    client.delete(*client.keys(f"faceapp:live:c:{camera.pk}:*"), f"faceapp:live:s:{frames.shard_of(camera.pk)}:cameras")


def frames_send(camera, name: str | None, count: int, fps: float = 5.0) -> None:
    """`count` scenes of the photo `name` (None: an empty scene) put into the camera's frame slot at `fps`."""
    for index in range(count):
        frames.frame_put(camera_id=camera.pk, jpeg=scene_jpeg(name, x=150 + 2 * index))
        time.sleep(1 / fps)
