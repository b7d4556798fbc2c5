"""Celery tasks in a real worker on the real broker: enrolment photos, camera frames one at a
time, rows that are gone, retries, and a broker outage that loses nothing."""

import logging
import time

import pytest
from celery import Celery
from django.db import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from faceapp.celery import app
from identity.models import Camera, FaceSample, Snapshot
from identity.services import cameras, enrolment
from identity.services.realtime import redis_client
from identity.services.uploads import task_enqueue
from identity.tasks import sample_process_task, snapshot_recognize_task
from tests import faces_data

pytestmark = pytest.mark.django_db(transaction=True)


DEADLINE = 90  # seconds: a deadline for slow machines, not a timing assertion


def _until(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"still waiting for {what} after {DEADLINE} s")


def test_it_processes_enrolment_photos_in_the_worker(celery_worker, media_root):
    _, samples = enrolment.person_enroll(
        name="Aaron", consent=True,
        photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg")), ("group.jpg", faces_data.photo("bbt_group.jpg"))],
    )

    done = enrolment.samples_wait(sample_ids=[s.pk for s in samples], timeout=DEADLINE)

    assert [(s.status, s.reason) for s in done] == [
        (FaceSample.ACCEPTED, ""), (FaceSample.REJECTED, "5 faces found: use a photo with one face")
    ]


def test_it_recognises_camera_frames_one_at_a_time(request, media_root):
    camera = Camera.objects.create(name="Door")
    redis_client().delete(*cameras._keys(camera.pk))
    statuses = [
        cameras.camera_frame_receive(camera=camera, jpeg=faces_data.photo(name))
        for name in ("lfw_person_a_1.jpg", "lfw_person_a_2.jpg", "lfw_person_b_1.jpg")
    ]
    assert statuses == ["queued", "waiting", "replaced"]

    request.getfixturevalue("celery_worker")  # the worker starts only now: the order above is certain

    def both_done():
        snapshots = list(Snapshot.objects.order_by("id"))
        return snapshots if len(snapshots) == 2 and all(s.status == Snapshot.DONE for s in snapshots) else None

    snapshots = _until(both_done, "both frames to be recognised")
    assert Snapshot.objects.count() == 2  # the replaced frame never became a snapshot
    assert snapshots[1].image.read() == faces_data.photo("lfw_person_b_1.jpg")
    _until(lambda: redis_client().get(cameras._keys(camera.pk)[0]) is None, "the camera to be idle")


def test_it_does_nothing_for_rows_that_are_gone():
    assert sample_process_task(987_654_321) is None
    assert snapshot_recognize_task(987_654_321) is None


def test_it_retries_transient_database_and_redis_errors_with_backoff():
    for task in (sample_process_task, snapshot_recognize_task):
        assert {OperationalError, RedisConnectionError} <= set(task.autoretry_for)
        assert task.retry_backoff and task.max_retries == 5
    assert app.conf.task_acks_late is True


def test_it_reports_an_unreachable_broker_instead_of_failing(tmp_path, caplog):
    down = Celery("down", broker=f"redis+socket://{tmp_path}/no-such.sock")
    down.conf.broker_connection_retry = False

    @down.task(name="probe")
    def probe(object_id):  # pragma: no cover - never runs
        return object_id

    with caplog.at_level(logging.ERROR, logger="identity.services.uploads"):
        assert task_enqueue(probe, 42) is False
    assert "could not queue probe(42), it stays pending" in caplog.text
