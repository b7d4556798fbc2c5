"""Live frames in memory: each camera's newest JPEG waits in Redis (a newer frame replaces
it, so at most one waits per camera), and the cameras of one shard are served by one
live-worker process at a time, which holds the shard's lease.

Keys (camera c, shard s = c mod FACEAPP_LIVE_SHARDS), under faceapp:live:
  c:{c}:frame     the waiting frame: 8-byte capture time, 8-byte reader session + JPEG, short-lived
  c:{c}:counts    hash: received, replaced (dropped for a newer frame), expired (never taken)
  c:{c}:pending   set from a frame's put to its take, without expiry: the next put sees an expired one
  s:{s}:cameras   set of the shard's cameras that sent frames
  s:{s}:wake      a one-item list the shard's loop blocks on
  s:{s}:lease     the owning loop's token (expires unless renewed)
  s:{s}:turns     counts the takes of the lease
  s:{s}:starting  set while a queued live task has not taken the lease yet
"""

import json
import struct
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings

from faceapp import metrics
from faceapp.redis_client import redis_client, redis_text
from identity.services.queueing import task_enqueue

FRAME_SECONDS = 10  # an older waiting frame is stale: dropped
LEASE_SECONDS = 10  # a loop that stops renewing (killed worker) loses its shard this soon
STARTING_SECONDS = 30  # a queued live task not started by then may be queued again
_HEADER = struct.Struct(">dQ")  # capture time, the reader's session (identity.live.sources.Frame.session)

# KEYS: frame, counts, shard cameras, wake, pending. ARGV: payload, frame ttl, camera id.
# Returns the status and 1 when the frame before expired unread (no live worker took it).
_PUT = """
local old = redis.call('GET', KEYS[1])
local expired = 0
if not old and redis.call('EXISTS', KEYS[5]) == 1 then
  expired = 1
  redis.call('HINCRBY', KEYS[2], 'expired', 1)
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('SET', KEYS[5], '1')
redis.call('HINCRBY', KEYS[2], 'received', 1)
redis.call('SADD', KEYS[3], ARGV[3])
if old then redis.call('HINCRBY', KEYS[2], 'replaced', 1) return {'replaced', expired} end
redis.call('LPUSH', KEYS[4], '1')
redis.call('LTRIM', KEYS[4], 0, 0)
return {'queued', expired}
"""

# KEYS: frame, pending.
_TAKE = """
local frame = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2])
return frame
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_ensured: dict[int, float] = {}  # shard -> when this process last checked it had a loop
_ensured_lock = threading.Lock()
ENSURE_EVERY_SECONDS = 1.0


def shard_of(camera_id: int) -> int:
    return camera_id % settings.FACEAPP_LIVE_SHARDS


def _camera_key(camera_id: int, what: str) -> str:
    return f"faceapp:live:c:{camera_id}:{what}"


def _shard_key(shard: int, what: str) -> str:
    return f"faceapp:live:s:{shard}:{what}"


def frame_put(*, camera_id: int, jpeg: bytes, captured_at: float | None = None, session: int = 0) -> str:
    """Leave a camera's newest frame for its shard's loop: "queued", or "replaced" when it
    replaced a frame still waiting. Makes sure a live task serves the shard. `session`: the
    reader's, which changes when the source started again (a picture cut for the tracks)."""
    shard = shard_of(camera_id)
    payload = _HEADER.pack(time.time() if captured_at is None else captured_at, session) + jpeg
    keys = (_camera_key(camera_id, "frame"), _camera_key(camera_id, "counts"), _shard_key(shard, "cameras"),
            _shard_key(shard, "wake"), _camera_key(camera_id, "pending"))
    status, expired = redis_client().eval(_PUT, 5, *keys, payload, FRAME_SECONDS, camera_id)
    shard_ensure(shard=shard)
    status = redis_text(status)
    if expired:
        metrics.count("faceapp_frames_dropped_total", camera=camera_id, reason="expired")
    if status == "replaced":
        metrics.count("faceapp_frames_dropped_total", camera=camera_id, reason="replaced")
    return status


def frames_take(*, shard: int) -> list[tuple[int, float, bytes, int]]:
    """(camera id, capture time, JPEG, reader session) of every frame waiting in the shard, oldest camera first."""
    client = redis_client()
    taken = []
    for member in client.smembers(_shard_key(shard, "cameras")):
        camera_id = int(member)
        payload = client.eval(_TAKE, 2, _camera_key(camera_id, "frame"), _camera_key(camera_id, "pending"))
        if payload:
            captured_at, session = _HEADER.unpack_from(payload)
            taken.append((camera_id, captured_at, payload[_HEADER.size:], session))
    return sorted(taken, key=lambda frame: frame[1])


def frames_discard() -> int:
    """Erasure: drop every frame still waiting (a second's worth of camera pictures at most)."""
    client = redis_client()
    keys = [key for what in ("frame", "pending") for key in client.scan_iter(match=_camera_key("*", what), count=500)]
    return client.delete(*keys) if keys else 0


def camera_forget(*, camera_id: int) -> None:
    """A deleted camera: its waiting frame, live picture, counts and published states go, and its shard
    stops looking for it."""
    client = redis_client()
    client.delete(*(_camera_key(camera_id, what) for what in ("frame", "pending", "picture", "counts", "live", "reader")))
    client.srem(_shard_key(shard_of(camera_id), "cameras"), camera_id)
    metrics.series_forget(camera=camera_id)  # /metrics stops reporting it


def frames_wait(*, shard: int, timeout: float) -> None:
    """Block until a frame is put in the shard or `timeout` seconds pass."""
    redis_client().blpop([_shard_key(shard, "wake")], timeout=max(timeout, 0.01))


def frames_waiting(*, camera_ids: list[int]) -> int:
    """How many of these cameras have a frame waiting for the live worker (one Redis call)."""
    keys = [_camera_key(camera_id, "frame") for camera_id in camera_ids]
    return redis_client().exists(*keys) if keys else 0


def frame_counts(*, camera_id: int) -> dict[str, int]:
    """Frames received from the camera, replaced by a newer one before processing, and expired unread."""
    return _counts_decode(redis_client().hgetall(_camera_key(camera_id, "counts")))


def _counts_decode(counts: dict[bytes, bytes]) -> dict[str, int]:
    return {key.decode(): int(value) for key, value in counts.items()}


@dataclass(frozen=True)
class Lease:
    token: str
    turn: int  # the shard's turns so far: two turns of one process in a row had nobody between


def lease_take(*, shard: int) -> Lease | None:
    """The lease when this caller now owns the shard, else None."""
    token = uuid.uuid4().hex
    client = redis_client()
    if not client.set(_shard_key(shard, "lease"), token, nx=True, ex=LEASE_SECONDS):
        return None
    client.delete(_shard_key(shard, "starting"))
    return Lease(token=token, turn=client.incr(_shard_key(shard, "turns")))


def lease_renew(*, shard: int, token: str) -> bool:
    """False when the lease expired or was taken: the caller no longer owns the shard."""
    return bool(redis_client().eval(_RENEW, 1, _shard_key(shard, "lease"), token, LEASE_SECONDS))


def lease_release(*, shard: int, token: str) -> None:
    redis_client().eval(_RELEASE, 1, _shard_key(shard, "lease"), token)


def shard_ensure(*, shard: int, force: bool = False) -> bool:
    """Queue a live task for the shard if no loop holds it and none is queued; True when
    queued. Checked at most once a second per process unless `force`."""
    from identity.tasks import live_shard_task  # tasks import the services

    now = time.monotonic()
    with _ensured_lock:
        if not force and now - _ensured.get(shard, -ENSURE_EVERY_SECONDS) < ENSURE_EVERY_SECONDS:
            return False
        _ensured[shard] = now
    client = redis_client()
    if client.exists(_shard_key(shard, "lease")):
        return False
    if not client.set(_shard_key(shard, "starting"), 1, nx=True, ex=STARTING_SECONDS):
        return False
    if task_enqueue(live_shard_task, shard):
        return True
    client.delete(_shard_key(shard, "starting"))
    return False


STATUS_SECONDS = 60  # a status not refreshed this long is gone (its process stopped)


def _status_put(key: str, status: dict) -> None:
    redis_client().set(key, json.dumps(status), ex=STATUS_SECONDS)


def _status_get(key: str) -> dict | None:
    return _status_decode(redis_client().get(key))


def _status_decode(data: bytes | None) -> dict | None:
    return json.loads(data) if data else None


def live_stats_put(*, camera_id: int, stats: dict) -> None:
    """The live worker's figures for a camera: fps processed, last processed time."""
    _status_put(_camera_key(camera_id, "live"), stats)


def reader_status_put(*, camera_id: int, status: dict) -> None:
    """A stream reader's state: online / reconnecting / error, last frame time, fps read."""
    _status_put(_camera_key(camera_id, "reader"), status)


def reader_status(*, camera_id: int) -> dict | None:
    return _status_get(_camera_key(camera_id, "reader"))


@dataclass(frozen=True)
class CameraReadings:
    """What Redis holds of one camera's state: its reader's status, the live worker's figures, its frame counts."""

    reader: dict | None
    live: dict | None
    counts: dict[str, int]


def camera_readings(*, camera_ids: list[int]) -> dict[int, CameraReadings]:
    """Each camera's readings, all cameras in one round trip (a status is read every second per camera)."""
    with redis_client().pipeline(transaction=False) as pipe:
        for camera_id in camera_ids:
            pipe.get(_camera_key(camera_id, "reader"))
            pipe.get(_camera_key(camera_id, "live"))
            pipe.hgetall(_camera_key(camera_id, "counts"))
        values = pipe.execute()
    return {
        camera_id: CameraReadings(reader=_status_decode(reader), live=_status_decode(live), counts=_counts_decode(counts))
        for camera_id, reader, live, counts in zip(camera_ids, values[0::3], values[1::3], values[2::3])
    }
