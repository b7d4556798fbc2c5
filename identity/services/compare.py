"""Compare two photos in a worker, never in the web server: decoding and the face models take
hundreds of MB a photo, which a few parallel posts would multiply inside Daphne.

The photos go to the worker through Redis under a random key that lives COMPARE_TTL seconds
(the worker deletes them once read); its answer comes back the same way. Nothing is stored.
"""

import json
import secrets
import time

from django.conf import settings

from faceapp.redis_client import redis_client
from identity.face_engine import get_face_engine
from identity.presenters import jpeg_data_url
from identity.services.queueing import task_enqueue
from identity.services.ratelimit import rate_limit_hit
from identity.vision import ImageError, NoFaceError
from identity.vision.image import decode_image, encode_jpeg

COMPARE_TTL = 120
RATE_WINDOW_SECONDS = 60


class CompareRefused(Exception):
    """Too many comparisons this minute, or no worker to take one: the message says which."""


def _key(job: str, part: str) -> str:
    return f"faceapp:compare:{job}:{part}"


def compare_submit(*, user_id: int, photo1: bytes, photo2: bytes) -> str:
    """Queue a comparison of two photos (their headers already checked); returns its job id."""
    from identity.tasks import compare_task  # tasks import the services

    decision = rate_limit_hit(key=f"compare:{user_id}", limit=settings.FACEAPP_RATE_COMPARE_PER_MINUTE,
                              window_seconds=RATE_WINDOW_SECONDS)  # fmt: skip
    if not decision.allowed:
        raise CompareRefused(f"Too many comparisons: try again in {decision.retry_after} s.")
    job = secrets.token_urlsafe(16)
    redis = redis_client()
    redis.set(_key(job, "1"), photo1, ex=COMPARE_TTL)
    redis.set(_key(job, "2"), photo2, ex=COMPARE_TTL)
    if not task_enqueue(compare_task, job):
        redis.delete(_key(job, "1"), _key(job, "2"))
        raise CompareRefused("No worker can take the comparison now (the broker is unreachable).")
    return job


def compare_run(*, job: str) -> None:
    """In the worker: decode, verify, and leave the answer (or the reason there is none)."""
    redis = redis_client()
    photos = [redis.get(_key(job, "1")), redis.get(_key(job, "2"))]
    redis.delete(_key(job, "1"), _key(job, "2"))
    if None in photos:
        return  # expired before a worker got to it: the page has already given up
    engine = get_face_engine()
    answer: dict = {}
    images = []
    for field, data in zip(("image1", "image2"), photos):
        try:
            images.append(decode_image(data, max_pixels=engine.config.max_pixels))
        except ImageError as error:
            answer.setdefault("field_errors", {})[field] = str(error)
    if not answer:
        try:
            verification = engine.verify(images[0], images[1])
        except NoFaceError as error:
            answer["error"] = str(error)
        else:
            answer["result"] = {
                "similarity": verification.similarity, "same": verification.same, "threshold": verification.threshold,
                "model_id": verification.model_id, "mirrored": verification.mirrored, "notes": verification.notes,
                "crop1": jpeg_data_url(encode_jpeg(verification.face1.crop)),
                "crop2": jpeg_data_url(encode_jpeg(verification.face2.crop)),
            }
    redis.set(_key(job, "answer"), json.dumps(answer), ex=COMPARE_TTL)


def compare_wait(*, job: str, timeout: float) -> dict | None:
    """The worker's answer ({"result"}, {"error"} or {"field_errors"}), or None past `timeout`."""
    redis = redis_client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = redis.getdel(_key(job, "answer"))
        if answer is not None:
            return json.loads(answer)
        time.sleep(0.1)
    return None
