"""Websocket pushes: channel group names, one helper to send an event to a group, and each
group's short replay log.

A page renders what is stored, then opens its socket: an event pushed in between would be lost.
So every push of a REPLAYED type is also appended to its group's replay log, a capped Redis
stream (`faceapp:replay:<group>`, XADD MAXLEN ~ REPLAY_LENGTH, gone after REPLAY_SECONDS
without a push). A page renders with the log's position (`replay_position`, read before the
stored state), its socket asks `?after=<position>`, and the consumer, once it has joined the
group, sends what came after (`replay_since`) through the same handlers; each event carries its
`replay_id`, which the browser sends again as `?after=` when it reconnects.

Replayed: what a page keeps (results, visits, attendance rows, register rows, enrolment samples,
import progress, alerts). Not replayed: `camera.overlay` and `camera.status` (several a second
per camera, each superseding the last within a second; a box from a past frame would be drawn
where no face is now) and `camera.message` (a kiosk's greeting is for the person in front of it
now, never again on a reconnect).
"""

import json
import logging
import re
import time

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from faceapp.redis_client import redis_client, redis_text

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"

REPLAYED = frozenset({
    "recognition.result", "visit.update", "attendance.row", "register.rows", "enrolment.sample",
    "import.progress", "integration.event",
})
REPLAY_LENGTH = 500  # entries kept per group (about: MAXLEN ~)
REPLAY_SECONDS = 600  # an entry older than this is not replayed; an idle group's log expires after it
REPLAY_ID = re.compile(r"\d{1,20}-\d{1,20}")  # a Redis stream id, as the page sends it back


def person_enrolment_group(person_id: int) -> str:
    return f"person-{person_id}-enrolment"


def camera_group(camera_id: int) -> str:
    return f"camera-{camera_id}"


def replay_key(group: str) -> str:
    return f"faceapp:replay:{group}"  # under faceapp*: an erasure scrubs it (identity.services.erasure)


def push(group: str, event: dict) -> None:
    """Send `event` (its "type" names the consumer handler) to everyone in `group`; a REPLAYED
    type goes to the group's replay log first (so a socket joining meanwhile gets it one way or
    the other, and its consumer drops the copy it already replayed).

    A push is a notification, not the record: the rows are already committed, so a
    channel-layer outage is logged and never undoes or fails the work.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    if event.get("type") in REPLAYED:
        replay_id = _replay_add(group, event)
        if replay_id is not None:
            event = {**event, "replay_id": replay_id}
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # redis down or a full channel: pages catch up on reload
        logger.warning("could not push %s to %s", event.get("type"), group, exc_info=True)


def _replay_add(group: str, event: dict) -> str | None:
    key = replay_key(group)
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.xadd(key, {"event": json.dumps(event)}, maxlen=REPLAY_LENGTH, approximate=True)
        pipe.expire(key, REPLAY_SECONDS)
        replay_id, _ = pipe.execute()
    except redis.RedisError:
        logger.warning("could not keep %s for replay in %s", event.get("type"), group, exc_info=True)
        return None
    return replay_id.decode()


def replay_position(group: str) -> str | None:
    """The id of the group's last logged event ("0-0": none yet), for a page to render before it
    reads what it shows; None when Redis cannot say (the page's socket then replays nothing)."""
    try:
        info = redis_client().xinfo_stream(replay_key(group))
    except redis.ResponseError:  # no such key: nothing logged yet (or expired)
        return "0-0"
    except redis.RedisError:
        logger.warning("no replay position for %s", group, exc_info=True)
        return None
    last = info["last-generated-id"]
    return redis_text(last)


def replay_since(*, group: str, after: str, since_ms: int | None = None) -> list[tuple[str, dict]]:
    """The group's logged events after `after` (a REPLAY_ID), oldest first, as (replay id, event):
    only those of the last REPLAY_SECONDS, and logged after `since_ms` (epoch ms) when given."""
    floor = max(int(time.time() * 1000) - REPLAY_SECONDS * 1000, since_ms or 0)
    entries = redis_client().xrange(replay_key(group), min="(" + after, max="+")  # capped by MAXLEN ~
    replayed = []
    for entry_id, fields in entries:
        replay_id = entry_id.decode()
        if replay_id_key(replay_id)[0] > floor:
            replayed.append((replay_id, json.loads(fields[b"event"])))
    return replayed


def replay_id_key(replay_id: str) -> tuple[int, int]:
    """A stream id as a comparable pair (ms, sequence)."""
    ms, _, sequence = replay_id.partition("-")
    return int(ms), int(sequence or 0)
