"""Celery tasks in a real worker on the real broker: enrolment photos, camera frames one at a
time, rows that are gone, retries, a broker outage that loses nothing, failures marked and
retried, stale snapshots queued again, the scheduled purge."""

import dataclasses
import datetime as dt
import logging

import pytest
from celery import Celery
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from faceapp.celery import app
from faceapp.redis_client import redis_client
from identity.models import FaceSample, MatchLog, Snapshot
from identity.services import enrolment, recognition
from identity.services.queueing import stale_mark, task_enqueue
from identity.tasks import (
    purge_expired_task,
    requeue_stale_samples_task,
    requeue_stale_snapshots_task,
    sample_process_task,
    snapshot_recognize_task,
)
from tests import faces_data
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


DEADLINE = 90  # seconds: a deadline for slow machines, not a timing assertion


def test_it_processes_enrolment_photos_in_the_worker(celery_worker, media_root):
    _, samples = enrolment.person_enroll(
        name="Aaron", consent=True,
        photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg")), ("group.jpg", faces_data.photo("bbt_group.jpg"))],
    )

    done = enrolment.samples_wait(sample_ids=[s.pk for s in samples], timeout=DEADLINE)

    assert [(s.status, s.reason) for s in done] == [
        (FaceSample.ACCEPTED, ""), (FaceSample.REJECTED, "5 faces found: use a photo with one face")
    ]


def test_it_does_nothing_for_rows_that_are_gone():
    assert sample_process_task(987_654_321) is None
    assert snapshot_recognize_task(987_654_321) is None


def test_it_reports_an_unreachable_broker_instead_of_failing(tmp_path, caplog):
    # Not the current app: the shared tasks of later tests must keep using faceapp's broker.
    down = Celery("down", broker=f"redis+socket://{tmp_path}/no-such.sock", set_as_current=False)
    down.conf.broker_connection_retry = False

    @down.task(name="probe")
    def probe(object_id):  # pragma: no cover - never runs
        return object_id

    with caplog.at_level(logging.ERROR, logger="identity.services.queueing"):
        assert task_enqueue(probe, 42) is False
    assert "could not queue probe(42): " in caplog.text


@pytest.fixture
def bad_engine_settings(settings):
    """Sets an engine configuration the engine refuses (a bad deploy); undone by settings."""
    good = settings.FACEAPP_ENGINE

    def break_engine():
        settings.FACEAPP_ENGINE = dataclasses.replace(good, embedder="no_such_model")

    def fix_engine():
        settings.FACEAPP_ENGINE = good

    return break_engine, fix_engine


def test_it_marks_a_failing_snapshot_failed_then_retries_it_to_done(request, media_root, bad_engine_settings):
    break_engine, fix_engine = bad_engine_settings
    snapshot = recognition.snapshot_submit(image=("a.jpg", faces_data.photo("lfw_person_a_1.jpg")))
    break_engine()
    request.getfixturevalue("celery_worker")

    failed = recognition.snapshot_wait(snapshot_id=snapshot.pk, timeout=DEADLINE)
    assert failed.status == Snapshot.FAILED
    assert failed.error == "recognition failed: the face model could not be loaded (FACEAPP_ENGINE: see the worker's log)"

    fix_engine()
    assert recognition.snapshot_retry(snapshot=failed).status == Snapshot.PENDING
    done = wait_until(lambda: Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.DONE).first(), "the retry")
    assert (done.error, done.attempts, done.logs.count()) == ("", 1, 1)
    with pytest.raises(ValidationError, match="is done: only a failed or pending one can be retried"):
        recognition.snapshot_retry(snapshot=done)


def test_it_rejects_an_enrolment_photo_that_cannot_be_processed(request, media_root, bad_engine_settings):
    break_engine, _ = bad_engine_settings
    _, (sample,) = enrolment.person_enroll(
        name="Aaron", consent=True, photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg"))]
    )
    break_engine()
    request.getfixturevalue("celery_worker")

    (rejected,) = enrolment.samples_wait(sample_ids=[sample.pk], timeout=DEADLINE)
    assert rejected.status == FaceSample.REJECTED
    assert rejected.reason == "could not be processed: the face model could not be loaded (FACEAPP_ENGINE: see the worker's log)"


def _snapshot(name: str, *, status: str, minutes_ago: float, attempts: int = 0) -> Snapshot:
    """A stored snapshot whose task was never queued (or was lost)."""
    snapshot = Snapshot(status=status, attempts=attempts, received_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    snapshot.image.save(name, ContentFile(faces_data.photo(name)))
    return snapshot


def test_it_queues_stale_snapshots_again_and_processes_each_once(request, settings, media_root):
    settings.FACEAPP_REQUEUE_STALE_MINUTES = 10
    pending = _snapshot("lfw_person_a_1.jpg", status=Snapshot.PENDING, minutes_ago=30)
    processing = _snapshot("lfw_person_b_1.jpg", status=Snapshot.PROCESSING, minutes_ago=20, attempts=1)
    recent = _snapshot("lfw_person_a_2.jpg", status=Snapshot.PENDING, minutes_ago=1)
    redis_client().delete(*(stale_mark(what="snapshot", object_id=s.pk) for s in (pending, processing, recent)))

    assert requeue_stale_snapshots_task.apply().get() == [pending.pk, processing.pk]
    assert requeue_stale_snapshots_task.apply().get() == []  # queued once per window, not every minute
    snapshot_recognize_task.delay(processing.pk)  # and a duplicate delivery besides
    request.getfixturevalue("celery_worker")

    for snapshot in (pending, processing):
        wait_until(lambda s=snapshot: Snapshot.objects.filter(pk=s.pk, status=Snapshot.DONE).exists(), f"{snapshot.pk} done")
    assert MatchLog.objects.filter(snapshot=processing).count() == 1  # once, however often delivered
    assert Snapshot.objects.get(pk=processing.pk).attempts == 2
    assert Snapshot.objects.get(pk=recent.pk).status == Snapshot.PENDING


def test_it_queues_stale_enrolment_photos_again(request, settings, media_root):
    settings.FACEAPP_REQUEUE_STALE_MINUTES = 10
    _, (sample,) = enrolment.person_enroll(name="Aaron", consent=True, photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg"))])
    FaceSample.objects.filter(pk=sample.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    redis_client().delete(stale_mark(what="sample", object_id=sample.pk))

    assert requeue_stale_samples_task.apply().get() == [sample.pk]  # its first task was lost with Valkey, say
    request.getfixturevalue("celery_worker")

    wait_until(lambda: FaceSample.objects.get(pk=sample.pk).status == FaceSample.ACCEPTED, "the photo accepted")


def test_it_purges_expired_data_in_the_worker(celery_worker, settings, media_root):
    settings.FACEAPP_KEEP_SNAPSHOTS_DAYS = 30
    expired = _snapshot("lfw_person_a_1.jpg", status=Snapshot.DONE, minutes_ago=31 * 24 * 60)
    kept = _snapshot("lfw_person_b_1.jpg", status=Snapshot.DONE, minutes_ago=60)
    image = media_root / expired.image.name

    purge_expired_task.delay()

    wait_until(lambda: not Snapshot.objects.filter(pk=expired.pk).exists(), "the expired snapshot to be purged")
    assert not image.exists()
    assert Snapshot.objects.filter(pk=kept.pk).exists()


def test_it_schedules_only_tasks_a_worker_knows():
    # A renamed task left in the beat schedule would be sent and never run.
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled and scheduled - set(app.tasks) == set()
