"""Attendance follows the reviewed truth: rebuilt from the logs, widened by new sightings."""

import datetime as dt

import pytest
from django.utils import timezone

from attendance.models import AttendanceRecord
from identity.models import MatchLog
from attendance.presenters import attendance_payload
from attendance.selectors import arrivals_per_hour
from attendance.services import attendance_mark, attendance_recompute
from tests.review_data import at, make_camera, make_log, make_person

DAY = dt.date(2026, 3, 4)

pytestmark = pytest.mark.django_db


def test_it_rebuilds_a_day_from_the_effective_evidence(media_root):
    alice, bob = make_person("Alice", "A1"), make_person("Bob")
    door, hall = make_camera("Door"), make_camera("Hall")
    make_log(seen_at=at(DAY, 7), person=alice, camera=door)  # unreviewed known: counts
    rejected = make_log(seen_at=at(DAY, 6), person=alice, camera=door)
    reassigned_away = make_log(seen_at=at(DAY, 19), person=alice, camera=hall)
    reassigned_in = make_log(seen_at=at(DAY, 18), person=bob, camera=hall)
    make_log(seen_at=at(DAY, 5), best_person=alice, similarity=0.1)  # unknown: never evidence
    make_log(seen_at=at(DAY + dt.timedelta(days=1), 0, 30), person=alice)  # another day
    MatchLog.objects.filter(pk=rejected.pk).update(review_status=MatchLog.REJECTED)
    MatchLog.objects.filter(pk=reassigned_away.pk).update(review_status=MatchLog.REASSIGNED, reviewed_person=bob)
    MatchLog.objects.filter(pk=reassigned_in.pk).update(review_status=MatchLog.REASSIGNED, reviewed_person=alice)

    record = attendance_recompute(person_id=alice.pk, day=DAY)

    assert (record.first_seen, record.last_seen, record.camera) == (at(DAY, 7), at(DAY, 18), hall)
    assert AttendanceRecord.objects.filter(person=alice).count() == 1


def test_it_deletes_the_record_when_no_evidence_remains(media_root):
    alice = make_person("Alice")
    log = make_log(seen_at=at(DAY, 9), person=alice)
    attendance_recompute(person_id=alice.pk, day=DAY)
    MatchLog.objects.filter(pk=log.pk).update(review_status=MatchLog.REJECTED)

    assert attendance_recompute(person_id=alice.pk, day=DAY) is None
    assert not AttendanceRecord.objects.exists()


def test_it_widens_the_record_with_each_sighting_in_any_order(media_root):
    alice = make_person("Alice", with_sample=False)
    door, hall = make_camera("Door"), make_camera("Hall")

    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 10), camera_id=door.pk)
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 8), camera_id=hall.pk)  # late delivery
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 12), camera_id=hall.pk)
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 11), camera_id=door.pk)

    record = AttendanceRecord.objects.get(person=alice)
    assert (record.day, record.first_seen, record.last_seen, record.camera) == (DAY, at(DAY, 8), at(DAY, 12), hall)


def test_it_lists_a_day_with_absent_people_and_arrivals_per_hour(media_root):
    alice, bob, _carol = make_person("Alice", "A1"), make_person("Bob"), make_person("Carol")
    door = make_camera("Door")
    attendance_mark(person_ids=[bob.pk], seen_at=at(DAY, 9, 40), camera_id=door.pk)
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 8, 5), camera_id=None)
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 9, 10), camera_id=door.pk)

    payload = attendance_payload(day=DAY)

    rows = payload["present"]
    assert [(r["name"], r["code"], r["camera"]) for r in rows] == [("Alice", "A1", "Door"), ("Bob", None, "Door")]
    assert rows[0]["first_seen"] == timezone.localtime(at(DAY, 8, 5)).isoformat()
    assert payload["day"] == "2026-03-04" and [p["name"] for p in payload["absent"]] == ["Carol"]
    hours = arrivals_per_hour(day=DAY)
    assert (hours[8], hours[9], sum(hours)) == (1, 1, 2)


def test_it_counts_days_in_the_local_time_zone(media_root, settings):
    settings.TIME_ZONE = "America/New_York"
    alice = make_person("Alice", with_sample=False)
    late_evening = timezone.make_aware(dt.datetime(2026, 3, 4, 23, 30))  # 04:30 UTC on the 5th

    attendance_mark(person_ids=[alice.pk], seen_at=late_evening, camera_id=None)
    record = AttendanceRecord.objects.get(person=alice)

    assert record.day == dt.date(2026, 3, 4)
