"""What a user reads when a photo's recognition or enrolment fails: plain words, never an
exception's own text (it may hold file paths, hosts or internals: the worker's log keeps it)."""

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.db import DatabaseError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from identity.vision import ImageError
from identity.vision.registry import ModelError


def failure_words(exc: BaseException) -> str:
    if isinstance(exc, ImageError):
        return f"unreadable image: {exc}"  # our own messages, written for people
    if isinstance(exc, FileNotFoundError):
        return "unreadable image: its file is missing from the media storage"
    if isinstance(exc, ModelError):
        return "the face model could not be loaded (FACEAPP_ENGINE: see the worker's log)"
    if isinstance(exc, DatabaseError):
        return "the database could not be reached"
    if isinstance(exc, (RedisError, BrokerError)):
        return "Redis could not be reached"
    if isinstance(exc, (SoftTimeLimitExceeded, TimeLimitExceeded)):
        return "it took longer than the worker's time limit"
    return "an internal error (the worker's log has the details)"
