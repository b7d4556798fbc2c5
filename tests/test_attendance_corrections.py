"""Corrections (attendance/corrections.py): a mark by hand is an event that wins over the
sightings until it is taken back, each one audit entry (who, before, after); a day before the
person was enrolled, or one to come, is refused with a sentence."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from attendance import rules
from attendance.corrections import day_mark, group_mark, mark_remove
from attendance.models import AttendanceCode, AttendanceEvent, Group, RegisterDay, Schedule, ScheduleSession
from attendance.register import person_day_derive
from audit.models import AuditEntry
from faceapp.clock import site_date
from identity import events
from identity.events import Sighting
from tests.review_data import ENROLLED_AT, make_camera, make_log, make_person

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 10, 23)  # a Friday


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=dt.timezone.utc)


@pytest.fixture
def class_4b():
    group = Group.objects.create(name="4B")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), absent_after=30)
    ScheduleSession.objects.create(schedule=schedule, weekday=DAY.weekday(), start=dt.time(8), end=dt.time(12))
    return group


@pytest.fixture
def sick():
    return AttendanceCode.objects.create(label="S", category=AttendanceCode.EXCUSED_ABSENCE)


def test_it_keeps_a_mark_over_a_later_sighting_until_it_is_taken_back(class_4b, sick, admin_user, committed,
                                                                       media_root):
    ada, hall = make_person("Ada"), make_camera("Hall")
    class_4b.members.add(ada)
    mark = day_mark(person=ada, day=DAY, status=rules.EXCUSED, code=sick, reason="doctor", actor=admin_user)

    log = make_log(seen_at=at(8, 20), person=ada, camera=hall)
    with committed():  # seen after all: derived again, the mark still wins
        events.send_on_commit(events.visit_opened, sighting=Sighting(ada.pk, at(8, 20), hall.pk, log.pk))
    row = RegisterDay.objects.get(person=ada, day=DAY, group=class_4b)
    assert (row.status, row.code, row.marked, row.first_in) == (rules.EXCUSED, sick, True, at(8, 20))

    mark_remove(mark=mark, actor=admin_user)
    row.refresh_from_db()
    assert (row.status, row.minutes_late, row.marked) == (rules.LATE, 20, False)
    assert AttendanceEvent.objects.get(pk=mark.pk).voided_at is not None  # kept in the log


def test_it_audits_each_correction_with_the_status_before_and_after(class_4b, sick, admin_user, media_root):
    ada = make_person("Ada")
    class_4b.members.add(ada)
    person_day_derive(person_id=ada.pk, day=DAY, now=at(23))

    day_mark(person=ada, day=DAY, status=rules.EXCUSED, code=sick, reason="doctor", actor=admin_user)

    entry = AuditEntry.objects.get(action=AuditEntry.ATTENDANCE_MARKED)
    assert (entry.actor, entry.person, entry.target) == (admin_user, ada, "")
    assert entry.detail == f"{DAY}: Absent → Excused ([S] doctor)"


def test_it_marks_a_whole_group_with_one_entry_each(class_4b, admin_user, media_root):
    people = [make_person(name) for name in ("Ada", "Bea", "Cem")]
    class_4b.members.add(*people)

    group_mark(group=class_4b, day=DAY, status=rules.PRESENT, reason="school trip", actor=admin_user)

    assert set(RegisterDay.objects.filter(day=DAY).values_list("status", "marked")) == {(rules.PRESENT, True)}
    assert AuditEntry.objects.filter(action=AuditEntry.ATTENDANCE_MARKED, target="4B").count() == 3


def test_it_refuses_a_day_before_the_person_was_enrolled(class_4b, admin_user, media_root):
    ada = make_person("Ada")

    with pytest.raises(ValidationError, match="before Ada was enrolled"):
        day_mark(person=ada, day=ENROLLED_AT.date() - dt.timedelta(days=1), status=rules.PRESENT, actor=admin_user)
    assert not AttendanceEvent.objects.exists() and not AuditEntry.objects.exists()


def test_it_refuses_a_day_in_the_future(admin_user, media_root):
    ada = make_person("Ada")

    with pytest.raises(ValidationError, match="is in the future"):
        day_mark(person=ada, day=site_date(timezone.now()) + dt.timedelta(days=1), status=rules.ABSENT,
                 actor=admin_user)
    assert not AttendanceEvent.objects.exists()


def test_it_refuses_a_status_a_mark_cannot_set_and_a_group_the_person_is_not_in(class_4b, admin_user, media_root):
    ada = make_person("Ada")

    with pytest.raises(ValidationError, match="not 'holiday'"):
        day_mark(person=ada, day=DAY, status=rules.HOLIDAY, actor=admin_user)
    with pytest.raises(ValidationError, match="Ada is not in 4B"):
        day_mark(person=ada, day=DAY, status=rules.PRESENT, group=class_4b, actor=admin_user)
    assert not AttendanceEvent.objects.exists()


def test_it_refuses_to_take_back_what_is_not_a_mark_in_force(class_4b, admin_user, media_root):
    ada = make_person("Ada")
    mark = day_mark(person=ada, day=DAY, status=rules.PRESENT, actor=admin_user)
    mark_remove(mark=mark, actor=admin_user)

    with pytest.raises(ValidationError, match="only a mark in force"):
        mark_remove(mark=AttendanceEvent.objects.get(pk=mark.pk), actor=admin_user)
