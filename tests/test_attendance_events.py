"""Identity's domain events (identity.events) and attendance's receivers: each event goes once
identity's change is committed, carries what a receiver needs, and attendance follows it;
the dashboards get the one row that moved."""

import datetime as dt
import logging
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attendance.models import AttendanceRecord
from faceapp.clock import site_date
from identity import events
from identity.events import Recount, Sighting
from identity.models import Camera, MatchLog, Person
from identity.services import enrolment, live, recognition, review
from identity.services.merge import people_merge
from tests import faces_data, live_data
from tests.review_data import at, make_camera, make_log, make_person

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 4)
SIGNALS = ["visit_opened", "visit_named", "visit_ended", "faces_recounted", "person_merged", "person_erased"]


@pytest.fixture
def heard():
    """Every identity event sent during the test, in order: [(name, its arguments)]."""
    received = []
    receivers = {}
    for name in SIGNALS:
        def hear(signal, sender, _name=name, **kwargs):
            received.append((_name, kwargs))
        receivers[name] = hear
        getattr(events, name).connect(hear, weak=False)
    yield received
    for name, hear in receivers.items():
        getattr(events, name).disconnect(hear)


def test_it_sends_a_review_only_once_committed_with_whom_the_face_counted_for(
        media_root, admin_user, heard, django_capture_on_commit_callbacks):
    alice, bob = make_person("Alice", "A1"), make_person("Bob", "B2")
    door = make_camera("Door")
    log = make_log(seen_at=at(DAY, 9), person=alice, camera=door)

    with django_capture_on_commit_callbacks() as waiting:
        review.log_reassign(log=log, person=bob, user=admin_user)
    assert heard == [] and not AttendanceRecord.objects.exists()  # nothing before the commit
    for callback in waiting:
        callback()

    recount = Recount(log_id=log.pk, seen_at=at(DAY, 9), camera_id=door.pk, before_person_id=alice.pk,
                      after_person_id=bob.pk)
    assert heard == [("faces_recounted", {"recounts": (recount,)})]
    assert list(AttendanceRecord.objects.values_list("person", "day")) == [(bob.pk, DAY)]


def test_it_sends_a_visit_opened_for_each_named_face_of_a_photo(aaron, media_root, heard, committed):
    camera = Camera.objects.create(name="Door")
    with committed():
        snapshot = recognition.snapshot_submit(image=("a2.jpg", faces_data.photo("lfw_person_a_2.jpg")), camera=camera)
        snapshot = recognition.snapshot_recognize(snapshot_id=snapshot.pk)

    log = MatchLog.objects.get(snapshot=snapshot)
    sighting = Sighting(person_id=aaron.pk, seen_at=snapshot.received_at, camera_id=camera.pk, log_id=log.pk)
    assert heard == [("visit_opened", {"sighting": sighting})]
    assert AttendanceRecord.objects.get(person=aaron).first_seen == snapshot.received_at


@pytest.mark.usefixtures("fresh_live_state")
def test_it_sends_a_camera_visits_opening_and_end(aaron, media_root, heard, committed):
    door = Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/none")
    start = time.time()
    with committed():
        for index in range(8):
            jpeg = live_data.scene_jpeg("lfw_person_a_2.jpg" if index < 4 else None, x=150 + 2 * index)
            assert live.live_frame_process(camera_id=door.pk, captured_at=start + 0.2 * index, jpeg=jpeg)
        live._finish(live._cameras[door.pk])  # the track ends

    visit = MatchLog.objects.get(person=aaron)
    assert [name for name, _ in heard] == ["visit_opened", "visit_ended"]
    opened, ended = heard[0][1]["sighting"], heard[1][1]["sighting"]
    assert opened == Sighting(person_id=aaron.pk, seen_at=visit.created_at, camera_id=door.pk, log_id=visit.pk,
                              tracked=True)
    assert ended == Sighting(person_id=aaron.pk, seen_at=visit.last_seen, camera_id=door.pk, log_id=visit.pk,
                             tracked=True)


def test_it_sends_a_merge_with_the_days_whose_faces_moved(media_root, heard, committed):
    kept, merged = make_person("Ada Lovelace", "AL"), make_person("Ada L.", "ADA-2")
    make_log(seen_at=at(DAY, 10), person=kept)
    for day in (DAY, DAY + dt.timedelta(days=2)):
        make_log(seen_at=at(day, 8), person=merged)
    merged_id = merged.pk

    with committed():
        people_merge(keep=kept, drop=merged)

    assert heard == [("person_merged", {"from_person_id": merged_id, "into_person_id": kept.pk,
                                        "days": (DAY, DAY + dt.timedelta(days=2))})]
    records = AttendanceRecord.objects.order_by("day")
    assert [(r.person_id, r.day, r.first_seen) for r in records] == [
        (kept.pk, DAY, at(DAY, 8)), (kept.pk, DAY + dt.timedelta(days=2), at(DAY + dt.timedelta(days=2), 8))]


def test_it_erases_a_persons_attendance_with_them_not_after(media_root, heard, django_capture_on_commit_callbacks):
    alice, bob = make_person("Alice", "A1"), make_person("Bob", "B2")
    for person in (alice, bob):
        AttendanceRecord.objects.create(person=person, day=DAY, first_seen=at(DAY, 8), last_seen=at(DAY, 9))
    alice_id = alice.pk

    with django_capture_on_commit_callbacks() as waiting:
        enrolment.person_delete(person=alice)
    # Gone in the erasure's own transaction (the person FK cascades), before any event.
    assert list(AttendanceRecord.objects.values_list("person", flat=True)) == [bob.pk] and heard == []
    for callback in waiting:
        callback()

    assert heard == [("person_erased", {"person_id": alice_id})]


def _row_pushed(work):
    pushed, _ = faces_data.events_during(["dashboard"], work)
    return [event["attendance"] for event in pushed["dashboard"] if event["type"].startswith("attendance.")]


def _sighting_cost(person: Person, committed) -> int:
    sighting = Sighting(person_id=person.pk, seen_at=timezone.now(), camera_id=None, log_id=0)
    with CaptureQueriesContext(connection) as queries, committed():
        events.send_on_commit(events.visit_opened, sighting=sighting)
    return len(queries)


def test_it_pushes_only_the_row_that_moved_in_queries_that_do_not_grow_with_the_people(media_root, committed):
    Person.objects.bulk_create(Person(name=f"Person {number:03d}") for number in range(3))
    few = _sighting_cost(Person.objects.create(name="Ada"), committed)
    Person.objects.bulk_create(Person(name=f"Person {number:03d}") for number in range(3, 300))
    ada = Person.objects.create(name="Ada Two")

    (row,) = _row_pushed(lambda: _sighting_cost(ada, committed))

    assert _sighting_cost(Person.objects.create(name="Bob"), committed) == few  # 300 people cost what 4 did
    assert (row["person_id"], row["present"]["name"], row["absent"], row["day"]) == (
        ada.pk, "Ada Two", None, site_date().isoformat())
    assert (row["present_count"], row["absent_count"]) == (2, 300)


def test_it_moves_a_person_back_to_the_absent_list_when_a_review_takes_their_face(
        media_root, admin_user, committed):
    alice = make_person("Alice", "A1")
    log = make_log(seen_at=timezone.now(), person=alice)
    with committed():
        review.log_confirm(log=log, user=admin_user)

    def reject():
        with committed():
            review.log_reject(log=log, user=admin_user)

    (row,) = _row_pushed(reject)

    assert (row["present"], row["absent"]) == (None, {"person_id": alice.pk, "name": "Alice", "code": "A1"})
    assert (row["present_count"], row["absent_count"]) == (0, 1)


def test_it_keeps_identitys_work_when_a_receiver_fails(media_root, admin_user, committed, caplog):
    alice = make_person("Alice", "A1")
    log = make_log(seen_at=at(DAY, 9), person=alice)

    def broken(**kwargs):
        raise RuntimeError("receiver down")

    events.faces_recounted.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with caplog.at_level(logging.ERROR, logger="identity.events"), committed():
            review.log_confirm(log=log, user=admin_user)
    finally:
        events.faces_recounted.disconnect(dispatch_uid="test-broken")

    assert MatchLog.objects.get(pk=log.pk).review_status == MatchLog.CONFIRMED
    assert AttendanceRecord.objects.get(person=alice).first_seen == at(DAY, 9)  # the other receivers ran
    assert "receiver down" in caplog.text
