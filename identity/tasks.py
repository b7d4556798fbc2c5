"""Celery tasks: thin wrappers that take ids and call the services (delivery is at least
once, acks_late; the services are idempotent).

What happens when things break:
- a worker killed mid-task: its message stays unacknowledged in Redis and a live worker puts
  it back in the queue after FACEAPP_BROKER_VISIBILITY_TIMEOUT (a pool child dying alone is
  requeued at once: reject_on_worker_lost); the row is processed once, whoever gets it;
- transient database/Redis errors: retried with backoff (RETRY below);
- retries exhausted, a non-transient error, the hard time limit: `on_failure` marks the row
  FAILED (snapshot) or REJECTED (enrolment photo) with the error;
- rows left pending or processing: queued again by the beat task requeue_stale_snapshots_task.
"""

import datetime as dt
import logging

from celery import Task, shared_task
from django.conf import settings
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

from identity.models import FaceSample, Snapshot
from identity.services import compare, duplicate_search, enrolment, face_search, live, readers, recognition, retention
from identity.services.failure_words import failure_words

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


def _object_id(args, kwargs, name: str) -> int | None:
    return args[0] if args else kwargs.get(name)


class SnapshotTask(Task):
    """Once Celery gives up on a snapshot, it is marked FAILED with the error (admins retry it)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        snapshot_id = _object_id(args, kwargs, "snapshot_id")
        try:
            recognition.snapshot_fail(snapshot_id=snapshot_id, error=f"recognition failed: {failure_words(exc)}")
        except Exception:  # the database is what failed: the stale requeue will find it later
            logger.exception("could not mark snapshot %s failed", snapshot_id)


class SampleTask(Task):
    """Once Celery gives up on an enrolment photo, it is REJECTED with the error."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        sample_id = _object_id(args, kwargs, "sample_id")
        try:
            enrolment.sample_fail(sample_id=sample_id, error=failure_words(exc))
        except Exception:
            logger.exception("could not mark sample %s failed", sample_id)


@shared_task(base=SampleTask, **RETRY)
def sample_process_task(sample_id: int) -> None:
    try:
        enrolment.sample_process(sample_id=sample_id)
    except FaceSample.DoesNotExist:
        logger.info("sample %s is gone (its person was deleted): nothing to do", sample_id)


@shared_task(base=SnapshotTask, **RETRY)
def snapshot_recognize_task(snapshot_id: int) -> None:
    try:
        recognition.snapshot_recognize(snapshot_id=snapshot_id)
    except Snapshot.DoesNotExist:
        logger.info("snapshot %s is gone: nothing to do", snapshot_id)


# One turn of a live loop: camera frames of one shard, while this process holds its lease.
@shared_task(time_limit=settings.FACEAPP_LIVE_RUN_SECONDS + 120, soft_time_limit=settings.FACEAPP_LIVE_RUN_SECONDS + 60)
def live_shard_task(shard: int) -> dict:
    return live.live_shard_run(shard=shard, seconds=settings.FACEAPP_LIVE_RUN_SECONDS)


@shared_task(time_limit=600)
def duplicates_compute_task(model_id: str) -> None:
    duplicate_search.duplicates_compute(model_id=model_id)


@shared_task(time_limit=120)
def compare_task(job: str) -> None:
    compare.compare_run(job=job)


@shared_task(time_limit=120)
def face_search_task(job: str) -> None:
    face_search.face_search_run(job=job)


@shared_task(time_limit=120)
def camera_test_task(job: str) -> None:
    readers.camera_test_run(job=job)


@shared_task
def requeue_stale_snapshots_task() -> list[int]:
    return recognition.snapshots_requeue_stale(older_than=dt.timedelta(minutes=settings.FACEAPP_REQUEUE_STALE_MINUTES))


@shared_task
def requeue_stale_samples_task() -> list[int]:
    return enrolment.samples_requeue_stale(older_than=dt.timedelta(minutes=settings.FACEAPP_REQUEUE_STALE_MINUTES))


@shared_task
def purge_expired_task() -> dict:
    return retention.purge_expired()


# Acknowledged on receipt, no time limit: a backup outlasting the broker's visibility timeout must not
# run twice, and one lost with its worker is simply the next one's to make.
@shared_task(acks_late=False, time_limit=None, soft_time_limit=None)
def backup_scheduled_task() -> str | None:
    from faceapp.backup.schedule import backup_scheduled

    path = backup_scheduled()
    return str(path) if path else None
