"""Live pictures: what a camera sees now, under its boxes on the camera page and the dashboard
tile. Only while someone watches: a page that may see faces has its socket mark the camera (or
every camera, for the dashboard) watched for WATCH_SECONDS, again every WATCH_REFRESH_SECONDS;
the live worker that owns the camera then keeps, at most once every PICTURE_SECONDS, the frame
it has just processed as a small JPEG (PICTURE_WIDTH wide) in Redis, and that frame's overlay
names it (`picture`), so the page shows the picture with the boxes found in it. A picture lives
PICTURE_TTL_SECONDS in memory and is served only by identity.views.media (never a file).

Keys, under faceapp:live:
  c:{c}:watched   set while a page watches camera c (expires)
  watched:all     set while a dashboard watches every camera (expires)
  c:{c}:picture   the camera's newest picture: 8-byte id (its frame's capture time in ms),
                  8-byte capture time + JPEG (expires)
"""

import logging
import struct
from dataclasses import dataclass

import cv2
import numpy as np
import redis

from faceapp.redis_client import redis_client
from identity.vision.image import encode_jpeg

logger = logging.getLogger(__name__)

WATCH_SECONDS = 10  # a page that stopped saying it watches stops the pictures this soon
WATCH_REFRESH_SECONDS = 3.0
PICTURE_SECONDS = 0.5  # at most 2 pictures a second per camera
PICTURE_TTL_SECONDS = 5  # an older picture is not live any more
PICTURE_WIDTH = 480  # a dashboard tile's width on a high-density screen
PICTURE_QUALITY = 70
_HEADER = struct.Struct(">Qd")  # picture id, capture time


def _watched_key(camera_id: int | None) -> str:
    return "faceapp:live:watched:all" if camera_id is None else f"faceapp:live:c:{camera_id}:watched"


def _picture_key(camera_id: int) -> str:
    return f"faceapp:live:c:{camera_id}:picture"


def picture_id(captured_at: float) -> int:
    """A picture's id: its frame's capture time in milliseconds (one frame, one picture)."""
    return int(round(captured_at * 1000))


def pictures_watch(*, camera_id: int | None) -> None:
    """A page that may see faces watches the camera (None: every camera) for WATCH_SECONDS more;
    Redis away: no picture meanwhile, nothing else lost."""
    try:
        redis_client().set(_watched_key(camera_id), 1, ex=WATCH_SECONDS)
    except redis.RedisError:
        logger.warning("could not mark camera %s watched", camera_id, exc_info=True)


def pictures_watched(*, camera_id: int) -> bool:
    """Whether a page watches the camera now (one Redis call)."""
    return bool(redis_client().exists(_watched_key(camera_id), _watched_key(None)))


def picture_scaled(image: np.ndarray) -> np.ndarray:
    """The frame at PICTURE_WIDTH wide (never enlarged), its aspect kept."""
    height, width = image.shape[:2]
    if width <= PICTURE_WIDTH:
        return image
    size = (PICTURE_WIDTH, max(1, round(height * PICTURE_WIDTH / width)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def picture_keep(*, camera_id: int, image: np.ndarray, captured_at: float) -> int:
    """Keep the processed frame as the camera's picture; returns its id."""
    jpeg = encode_jpeg(picture_scaled(image), quality=PICTURE_QUALITY)
    identifier = picture_id(captured_at)
    redis_client().set(_picture_key(camera_id), _HEADER.pack(identifier, captured_at) + jpeg, ex=PICTURE_TTL_SECONDS)
    return identifier


@dataclass(frozen=True)
class Picture:
    id: int
    captured_at: float
    jpeg: bytes


def picture_get(*, camera_id: int) -> Picture | None:
    """The camera's newest picture, None when there is none (nobody watched, or it expired)."""
    payload = redis_client().get(_picture_key(camera_id))
    if not payload:
        return None
    identifier, captured_at = _HEADER.unpack_from(payload)
    return Picture(id=identifier, captured_at=captured_at, jpeg=payload[_HEADER.size:])


def pictures_discard() -> int:
    """Erasure: drop every camera's picture (the last few seconds at most)."""
    client = redis_client()
    keys = list(client.scan_iter(match=_picture_key("*"), count=500))  # type: ignore[arg-type]
    return client.delete(*keys) if keys else 0
