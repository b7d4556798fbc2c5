"""Where a sighting's attendance is recorded: a camera track's (sent from the live worker's frame
loop) by a task of the default workers, a photo's at once in the worker that recognised it, and a
camera track's at once too when the broker is away (late rather than lost)."""

import datetime as dt
import time

import pytest
from django.db import transaction

from attendance.models import AttendanceEvent, AttendanceRecord
from identity import events
from identity.events import Sighting
from identity.models import Camera
from identity.services import live, review
from tests import faces_data, live_data
from tests.celery_workers import tasks_done
from tests.attendance_data import earlier_today
from tests.review_data import make_camera, make_log, make_person
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def empty_broker(empty_broker):
    """Empty before and after: a sighting left queued must not reach a later test's worker."""
    from faceapp.celery import app

    yield
    app.control.purge()


def _opened(*, tracked: bool) -> tuple:
    ada, door = make_person("Ada", "A1"), make_camera("Door")
    seen_at = earlier_today(dt.timedelta(minutes=1))
    log = make_log(seen_at=seen_at, person=ada, camera=door)
    with transaction.atomic():
        events.send_on_commit(events.visit_opened,
                              sighting=Sighting(ada.pk, seen_at, door.pk, log.pk, tracked=tracked))
    return ada, log


def _recorded(person) -> bool:
    return AttendanceEvent.objects.filter(person=person).exists() and AttendanceRecord.objects.filter(
        person=person).exists()


def test_it_queues_a_camera_tracks_sighting_for_a_worker(empty_broker, media_root):
    ada, log = _opened(tracked=True)

    assert not _recorded(ada), "recorded in the sender's process, the live worker's frame loop"


def test_it_records_a_queued_sighting_in_a_worker(empty_broker, celery_worker, media_root):
    ada, log = _opened(tracked=True)

    wait_until(lambda: _recorded(ada), "the worker to record the sighting")
    event = AttendanceEvent.objects.get(person=ada)
    assert (event.log_id, event.kind, event.at) == (log.pk, AttendanceEvent.SEEN, log.created_at)


def test_it_records_a_photos_sighting_at_once(empty_broker, media_root):
    ada, _ = _opened(tracked=False)

    assert _recorded(ada)


def test_it_records_a_camera_tracks_sighting_at_once_when_the_broker_is_away(embedded_valkey, media_root):
    embedded_valkey.stop()
    try:
        ada, _ = _opened(tracked=True)
    finally:
        embedded_valkey.start()

    assert _recorded(ada)


def test_it_leaves_a_person_erased_before_the_worker_came(empty_broker, celery_worker, media_root):
    ada, door = make_person("Ada", "A1"), make_camera("Door")
    bea = make_person("Bea", "B1")
    seen_at = earlier_today(dt.timedelta(minutes=1))
    gone = make_log(seen_at=seen_at, person=ada, camera=door)
    stays = make_log(seen_at=seen_at, person=bea, camera=door)
    ada_pk = ada.pk
    ada.delete()
    with transaction.atomic():
        events.send_on_commit(events.visit_opened, sighting=Sighting(ada_pk, seen_at, door.pk, gone.pk, tracked=True))
        events.send_on_commit(events.visit_opened, sighting=Sighting(bea.pk, seen_at, door.pk, stays.pk, tracked=True))

    wait_until(lambda: _recorded(bea), "the worker to record the later sighting")
    assert not AttendanceEvent.objects.filter(person_id=ada_pk).exists()


@pytest.mark.usefixtures("fresh_live_state")
def test_it_tells_the_dashboards_once_a_worker_recorded_a_camera_visit(aaron, empty_broker, celery_worker,
                                                                        media_root):
    door = Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/none")

    def work():
        start = time.time()
        for index in range(4):  # frames of Aaron: a track, named, its visit opened and committed
            jpeg = live_data.scene_jpeg("lfw_person_a_2.jpg", x=150 + 2 * index)
            assert live.live_frame_process(camera_id=door.pk, captured_at=start + 0.2 * index, jpeg=jpeg)
        wait_until(lambda: AttendanceRecord.objects.filter(person=aaron).exists(), "the worker to record the visit")

    events, _ = faces_data.events_during(["dashboard"], work)

    (update,) = [e for e in events["dashboard"] if e["type"] == "attendance.row"]  # only the row that moved
    assert (update["attendance"]["present"]["name"], update["attendance"]["present_count"]) == ("Aaron Peirsol", 1)


def test_it_drops_a_queued_sighting_whose_visit_a_review_moved_meanwhile(empty_broker, admin_user, media_root,
                                                                         request):
    ada, log = _opened(tracked=True)
    bea = make_person("Bea", "B1")
    review.log_reassign(log=log, person=bea, user=admin_user)  # before any worker took the sighting

    request.getfixturevalue("celery_worker")
    wait_until(tasks_done, "the worker to take the queued sighting")

    assert not AttendanceEvent.objects.filter(person=ada).exists()
    assert list(AttendanceEvent.objects.filter(voided_at__isnull=True).values_list("person", "log_id")) == [
        (bea.pk, log.pk)]
