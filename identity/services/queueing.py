"""Queueing work for the Celery workers without losing it when the broker is away."""

import logging

from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from faceapp.redis_client import redis_client

logger = logging.getLogger(__name__)


def task_enqueue(task, *args) -> bool:
    """task.delay(*args); False (logged, never raised) when the broker is unreachable.

    The caller keeps what the task was for (a row that stays pending, or the work done at once),
    so nothing is lost.
    """
    try:
        task.delay(*args)
    except (KombuOperationalError, RedisError, ConnectionError, OSError) as exc:
        logger.error("could not queue %s(%s): %s", task.name, ", ".join(map(str, args)), exc)
        return False
    return True


def stale_mark(*, what: str, object_id: int) -> str:
    """The Redis key that says a stale row was queued again in this window."""
    return f"faceapp:{what}-requeued:{object_id}"


def stale_requeue(*, task, object_ids, older_than_seconds: int, what: str) -> list[int]:
    """Queue `task` again for each stale row (queued while the broker was down, lost with a
    Redis that keeps nothing). Each is queued at most once per `older_than_seconds` (a Redis
    mark), so a long backlog is not flooded with copies; a copy is harmless anyway: the tasks
    are idempotent. Returns the ids queued."""
    client = redis_client()
    requeued = []
    for object_id in object_ids:
        mark = stale_mark(what=what, object_id=object_id)
        if not client.set(mark, 1, nx=True, ex=max(1, older_than_seconds)):
            continue
        if task_enqueue(task, object_id):
            requeued.append(object_id)
        else:
            client.delete(mark)
    if requeued:
        logger.warning("queued %d stale %s(s) again: %s", len(requeued), what, requeued[:20])
    return requeued
