"""Camera frames with backpressure: at most one frame per camera in flight; a newer frame
replaces one that is still waiting; over FACEAPP_RATE_CAMERA_FPS frames in a second, the
extra frames are dropped unread ("rate-limited").

Per camera, in Redis: `inflight` (the snapshot id being recognised; set NX, with an expiry
so a crashed worker cannot stall the camera), `waiting` (the latest frame's JPEG bytes,
short-lived) and `replaced` (a counter of frames dropped for a newer one, for the load bench).
Both transitions are Lua scripts, so a frame arriving while the previous one finishes is
never stranded.
"""

import logging

from django.conf import settings
from django.db import transaction

from identity.models import Camera
from identity.services.ratelimit import camera_rate_key, rate_limit_hit
from identity.services.realtime import redis_client
from identity.services.recognition import snapshot_submit
from identity.services.uploads import image_check

logger = logging.getLogger(__name__)

IN_FLIGHT_SECONDS = 60  # longer than one recognition; a lost task frees the camera after it
WAITING_SECONDS = 10  # an older waiting frame is stale: drop it

QUEUED, WAITING, REPLACED, RATE_LIMITED = "queued", "waiting", "replaced", "rate-limited"

# KEYS: inflight, waiting, replaced. ARGV: frame, in-flight ttl, waiting ttl.
_RECEIVE = """
if redis.call('SET', KEYS[1], 'starting', 'NX', 'EX', ARGV[2]) then return 'queued' end
local previous = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
if previous then redis.call('INCR', KEYS[3]) return 'replaced' end
return 'waiting'
"""

# KEYS: inflight, waiting. ARGV: finished snapshot id ('' for any), in-flight ttl.
# Returns the waiting frame (now in flight) or false (the camera is idle).
_DONE = """
local current = redis.call('GET', KEYS[1])
if ARGV[1] ~= '' and current and current ~= ARGV[1] then return false end
local frame = redis.call('GET', KEYS[2])
if frame then
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[1], 'starting', 'EX', ARGV[2])
  return frame
end
redis.call('DEL', KEYS[1])
return false
"""


def _keys(camera_id: int) -> tuple[str, str, str]:
    prefix = f"faceapp:camera:{camera_id}:"
    return prefix + "inflight", prefix + "waiting", prefix + "replaced"


def _frame_submit(camera: Camera, jpeg: bytes) -> None:
    """Create and queue the snapshot of a frame that holds the camera's in-flight slot."""
    inflight, _, _ = _keys(camera.pk)
    client = redis_client()
    try:
        # The id is in Redis before the task is queued (on commit): its end finds its own mark.
        with transaction.atomic():
            snapshot = snapshot_submit(image=("frame.jpg", jpeg), camera=camera)
            client.set(inflight, str(snapshot.pk), ex=IN_FLIGHT_SECONDS)
    except BaseException:
        client.delete(inflight)
        raise


def _rate_key(camera: Camera) -> str:
    return camera_rate_key(camera_id=camera.pk, camera_token=camera.token)


def camera_frame_receive(*, camera: Camera, jpeg: bytes) -> str:
    """Returns "queued" (a snapshot was created and queued), "waiting" (a frame is in flight:
    this one waits in Redis), "replaced" (it replaced a waiting frame), or "rate-limited"
    (over FACEAPP_RATE_CAMERA_FPS frames this second: dropped unread).
    A frame that is not an acceptable image raises identity.vision.ImageError."""
    # Counted before any check: a flooding camera costs one Redis call per extra frame.
    limit = settings.FACEAPP_RATE_CAMERA_FPS
    if not rate_limit_hit(key=_rate_key(camera), limit=limit, window_seconds=1).allowed:
        return RATE_LIMITED
    image_check(jpeg)
    keys = _keys(camera.pk)
    status = redis_client().eval(_RECEIVE, 3, *keys, jpeg, IN_FLIGHT_SECONDS, WAITING_SECONDS)
    status = status.decode() if isinstance(status, bytes) else status
    if status == QUEUED:
        _frame_submit(camera, jpeg)
    return status


def camera_frame_done(*, camera_id: int, snapshot_id: int | None = None) -> None:
    """Called by the recognition task when a camera's snapshot finishes: queue the waiting
    frame if there is one, else clear the in-flight mark. With `snapshot_id`, only the
    snapshot holding the camera's slot releases it (an upload to that camera does not)."""
    inflight, waiting, _ = _keys(camera_id)
    client = redis_client()
    frame = client.eval(_DONE, 2, inflight, waiting, "" if snapshot_id is None else str(snapshot_id), IN_FLIGHT_SECONDS)
    if not frame:
        return
    camera = Camera.objects.filter(pk=camera_id, active=True).first()
    if camera is None:
        client.delete(inflight)
        return
    _frame_submit(camera, frame)


def camera_replaced_count(*, camera_id: int) -> int:
    """How many frames of this camera were dropped for a newer one (the load bench reads it)."""
    return int(redis_client().get(_keys(camera_id)[2]) or 0)
