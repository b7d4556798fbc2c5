"""Celery tasks: thin wrappers that take ids and call the services (delivery is at least
once, acks_late; the services are idempotent)."""

import logging

from celery import shared_task
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

from identity.models import FaceSample, Snapshot
from identity.services import cameras, enrolment, recognition

logger = logging.getLogger(__name__)

# Worth another try: the database or Redis was briefly unreachable or busy.
TRANSIENT_ERRORS = (OperationalError, RedisConnectionError, RedisTimeoutError, LockError, BrokerError)
RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRY)
def sample_process_task(sample_id: int) -> None:
    try:
        enrolment.sample_process(sample_id=sample_id)
    except FaceSample.DoesNotExist:
        logger.info("sample %s is gone (its person was deleted): nothing to do", sample_id)


@shared_task(**RETRY)
def snapshot_recognize_task(snapshot_id: int) -> None:
    try:
        snapshot = recognition.snapshot_recognize(snapshot_id=snapshot_id)
    except Snapshot.DoesNotExist:
        logger.info("snapshot %s is gone: nothing to do", snapshot_id)
        return
    if snapshot.camera_id:
        cameras.camera_frame_done(camera_id=snapshot.camera_id, snapshot_id=snapshot.pk)
