"""Work done by a worker, never in the web server, for pages that wait for the answer: compare
and search by photo (decoding and the face models take hundreds of MB a photo, which a few
parallel posts would multiply inside Daphne), a camera's test connection (a far end that answers
slowly or hugely holds a worker for its deadline, not a web-server thread).

The inputs (photos, a camera id) go to the worker through Redis under a random key that lives
JOB_TTL seconds (the worker deletes them once read); its answer comes back the same way. Nothing is stored. Each
user has RATE_COMPARE_PER_MINUTE such jobs a minute, all kinds together.
"""

import json
import secrets
import time

from django.conf import settings

from faceapp.redis_client import redis_client
from identity.services.queueing import task_enqueue
from identity.services.ratelimit import rate_limit_hit

JOB_TTL = 120
RATE_WINDOW_SECONDS = 60


class JobRefused(Exception):
    """Too many jobs this minute, or no worker to take one: the message says which."""


def _key(kind: str, job: str, part: str) -> str:
    return f"faceapp:{kind}:{job}:{part}"


def job_submit(*, kind: str, what: str, user_id: int, inputs: dict[str, bytes], task) -> str:
    """Queue `task(job)` with its inputs (photos: their headers already checked); returns the job
    id. `what` names the jobs in a refusal ("comparisons")."""
    decision = rate_limit_hit(key=f"photo-jobs:{user_id}", limit=settings.FACEAPP_RATE_COMPARE_PER_MINUTE,
                              window_seconds=RATE_WINDOW_SECONDS)  # fmt: skip
    if not decision.allowed:
        raise JobRefused(f"Too many {what}: try again in {decision.retry_after} s.")
    job = secrets.token_urlsafe(16)
    redis = redis_client()
    keys = [_key(kind, job, part) for part in inputs]
    for key, data in zip(keys, inputs.values()):
        redis.set(key, data, ex=JOB_TTL)
    if not task_enqueue(task, job):
        redis.delete(*keys)
        raise JobRefused(f"No worker can take {what} now (the broker is unreachable).")
    return job


def job_inputs(*, kind: str, job: str, parts: list[str]) -> list[bytes] | None:
    """In the worker: the job's inputs (deleted once read), or None once they expired."""
    redis = redis_client()
    inputs = [redis.get(_key(kind, job, part)) for part in parts]
    redis.delete(*(_key(kind, job, part) for part in parts))
    return None if None in inputs else inputs


def job_answer(*, kind: str, job: str, answer: dict) -> None:
    redis_client().set(_key(kind, job, "answer"), json.dumps(answer), ex=JOB_TTL)


def job_wait(*, kind: str, job: str, timeout: float) -> dict | None:
    """The worker's answer, or None past `timeout`."""
    redis = redis_client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = redis.getdel(_key(kind, job, "answer"))
        if answer is not None:
            return json.loads(answer)
        time.sleep(0.1)
    return None
