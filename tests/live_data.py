"""Frames for the live-camera tests: a face photo placed on a 640x480 grey canvas, as a
person standing in front of a door camera."""

import time

import cv2
import numpy as np

from faceapp.redis_client import redis_client
from identity.services import frames
from tests import faces_data

SIZE = (640, 480)


def scene(name: str | None, *, x: int = 170, side: int = 300) -> np.ndarray:
    """A 640x480 frame with the fixture photo `name` (None: nobody) `side` px tall at `x`."""
    canvas = np.full((SIZE[1], SIZE[0], 3), 128, np.uint8)
    if name is not None:
        top = (SIZE[1] - side) // 2
        canvas[top : top + side, x : x + side] = cv2.resize(faces_data.bgr(name), (side, side))
    return canvas


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
