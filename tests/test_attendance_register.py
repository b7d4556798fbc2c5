"""The register's writes (attendance/register.py): identity's visit events become IN/OUT/SEEN
events by the camera's role, a review moves a visit's events, and each person-day is derived
from them with the group's schedule in force, closures and planned absences, in the site's zone
(Europe/Berlin here, across the end of summer time on Sunday 2026-10-25)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from attendance import rules
from attendance.models import (
    AttendanceCode, AttendanceEvent, CameraRole, Closure, Group, PlannedAbsence, RegisterDay, Schedule, ScheduleSession,
)
from attendance.register import day_derive_all, register_due
from identity import events
from identity.events import Sighting
from identity.models import Person
from identity.services import review
from tests.review_data import make_camera, make_log, make_person

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY, MONDAY = dt.date(2026, 10, 23), dt.date(2026, 10, 26)


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def doors():
    entry, exit_ = make_camera("Entrance"), make_camera("Exit")
    CameraRole.objects.create(camera=entry, role=CameraRole.ENTRY)
    CameraRole.objects.create(camera=exit_, role=CameraRole.EXIT)
    return entry, exit_


@pytest.fixture
def class_4b():
    """A school class: 08:00-12:00 and 13:00-15:00 Monday to Friday, 5 minutes' grace, absent after 30."""
    group = Group.objects.create(name="4B")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), grace_late=5, grace_early=5,
                                       absent_after=30, checkin_before=30)
    for weekday in range(5):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(8), end=dt.time(12))
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(13), end=dt.time(15))
    return group


def visit(person: Person, camera, first: dt.datetime, last: dt.datetime, committed):
    """A named visit as identity tells it: opened at its first sighting, ended at its last."""
    log = make_log(seen_at=first, person=person, camera=camera)
    with committed():
        events.send_on_commit(events.visit_opened, sighting=Sighting(person.pk, first, camera.pk, log.pk))
        events.send_on_commit(events.visit_ended, sighting=Sighting(person.pk, last, camera.pk, log.pk))
    return log


def day_of(person: Person, day: dt.date, group: Group | None) -> RegisterDay:
    return RegisterDay.objects.get(person=person, day=day, group=group)


def test_it_writes_an_in_at_an_entry_camera_and_an_out_at_an_exit_camera(doors, class_4b, committed, media_root):
    ada = make_person("Ada")
    class_4b.members.add(ada)
    entry, exit_ = doors

    visit(ada, entry, at(FRIDAY, 7, 55), at(FRIDAY, 7, 56), committed)
    visit(ada, exit_, at(FRIDAY, 15, 1), at(FRIDAY, 15, 2), committed)

    kinds = list(AttendanceEvent.objects.filter(person=ada).values_list("kind", "at"))
    assert kinds == [(AttendanceEvent.IN, at(FRIDAY, 7, 55)), (AttendanceEvent.OUT, at(FRIDAY, 15, 2))]
    row = day_of(ada, FRIDAY, class_4b)
    assert (row.status, row.first_in, row.last_out, row.minutes_on_site) == (
        rules.PRESENT, at(FRIDAY, 7, 55), at(FRIDAY, 15, 2), 427)


def test_it_keeps_8_00_local_across_the_change_of_time(doors, class_4b, committed, media_root):
    ada = make_person("Ada")
    class_4b.members.add(ada)
    entry, exit_ = doors

    for day in (FRIDAY, MONDAY):  # 06:10 UTC on Friday (UTC+2), 07:10 UTC on Monday (UTC+1)
        visit(ada, entry, at(day, 8, 10), at(day, 8, 10), committed)
        visit(ada, exit_, at(day, 15), at(day, 15), committed)

    rows = RegisterDay.objects.filter(person=ada, day__in=[FRIDAY, MONDAY])
    assert [(row.day, row.status, row.minutes_late) for row in rows] == [(FRIDAY, rules.LATE, 10), (MONDAY, rules.LATE, 10)]


def test_it_counts_a_presence_camera_from_first_to_last_sighting(class_4b, committed, media_root):
    ada, hall = make_person("Ada"), make_camera("Hall")  # no role: presence
    class_4b.members.add(ada)

    visit(ada, hall, at(FRIDAY, 7, 58), at(FRIDAY, 9), committed)
    visit(ada, hall, at(FRIDAY, 14, 30), at(FRIDAY, 14, 58), committed)

    row = day_of(ada, FRIDAY, class_4b)
    assert (row.status, row.minutes_on_site, row.last_out, row.forgotten_out) == (
        rules.PRESENT, 420, at(FRIDAY, 14, 58), False)


def test_it_closes_a_forgotten_out_at_the_end_of_the_last_session(doors, class_4b, committed, media_root):
    ada = make_person("Ada")
    class_4b.members.add(ada)

    visit(ada, doors[0], at(FRIDAY, 7, 59), at(FRIDAY, 7, 59), committed)
    register_due(now=at(MONDAY, 9))  # the scheduler, once the day's window is over

    row = day_of(ada, FRIDAY, class_4b)
    assert (row.status, row.forgotten_out, row.last_out, row.minutes_on_site) == (
        rules.PRESENT, True, at(FRIDAY, 15), 421)


def test_it_marks_absent_once_the_absent_time_passed(class_4b, media_root):
    bea = make_person("Bea")
    class_4b.members.add(bea)

    register_due(now=at(FRIDAY, 8, 20))
    assert day_of(bea, FRIDAY, class_4b).status == rules.PENDING
    register_due(now=at(FRIDAY, 13, 31))
    assert day_of(bea, FRIDAY, class_4b).status == rules.ABSENT


def test_it_excuses_a_planned_absence_with_its_code_and_never_counts_a_holiday(class_4b, media_root, admin_user):
    bea, cem = make_person("Bea"), make_person("Cem")
    class_4b.members.add(bea, cem)
    sick = AttendanceCode.objects.create(label="S", category=AttendanceCode.EXCUSED_ABSENCE)
    PlannedAbsence.objects.create(person=bea, first_day=FRIDAY, last_day=MONDAY, code=sick, reason="flu")
    Closure.objects.create(name="Autumn break", first_day=MONDAY, last_day=MONDAY)

    register_due(now=at(FRIDAY, 23))
    register_due(now=at(MONDAY, 23))

    assert (day_of(bea, FRIDAY, class_4b).status, day_of(bea, FRIDAY, class_4b).code) == (rules.EXCUSED, sick)
    assert day_of(cem, FRIDAY, class_4b).status == rules.ABSENT
    assert day_of(cem, MONDAY, class_4b).status == rules.HOLIDAY


def test_it_moves_a_visits_events_when_a_review_gives_it_to_someone_else(doors, class_4b, committed, media_root,
                                                                          admin_user):
    ada, bea = make_person("Ada"), make_person("Bea")
    class_4b.members.add(ada, bea)
    log = visit(ada, doors[0], at(FRIDAY, 7, 55), at(FRIDAY, 7, 56), committed)

    with committed():
        review.log_reassign(log=log, person=bea, user=admin_user)
    register_due(now=at(FRIDAY, 13, 31))

    assert day_of(ada, FRIDAY, class_4b).status == rules.ABSENT
    assert day_of(bea, FRIDAY, class_4b).first_in == at(FRIDAY, 7, 55)
    voided = AttendanceEvent.objects.get(person=ada)
    assert voided.voided_at is not None and voided.log_id == log.pk  # kept in the log, void


def test_it_writes_an_event_once_when_a_visit_is_told_twice(doors, class_4b, committed, media_root):
    ada = make_person("Ada")
    log = visit(ada, doors[0], at(FRIDAY, 7, 55), at(FRIDAY, 7, 56), committed)
    with committed():  # a recent visit extended: identity tells its opening again
        events.send_on_commit(events.visit_opened, sighting=Sighting(ada.pk, at(FRIDAY, 7, 55), doors[0].pk, log.pk))

    assert AttendanceEvent.objects.filter(person=ada).count() == 1


def test_it_counts_a_night_shift_for_the_day_it_starts(doors, committed, media_root):
    night = Group.objects.create(name="Night shift", kind=Group.DEPARTMENT)
    schedule = Schedule.objects.create(group=night, starts_on=dt.date(2026, 9, 1), grace_late=10, absent_after=60,
                                       checkout_after=120, close_out=rules.CLOSE_AT_LAST_SIGHTING)
    saturday = dt.date(2026, 10, 24)
    ScheduleSession.objects.create(schedule=schedule, weekday=saturday.weekday(), start=dt.time(22),
                                   end=dt.time(6), overnight=True)
    dan = make_person("Dan")
    night.members.add(dan)

    visit(dan, doors[0], at(saturday, 21, 50), at(saturday, 21, 50), committed)
    visit(dan, doors[1], at(saturday + dt.timedelta(days=1), 6, 5), at(saturday + dt.timedelta(days=1), 6, 5),
          committed)

    row = day_of(dan, saturday, night)  # 21:50 to 06:05 across the change of time: 9 h 15 min
    assert (row.status, row.minutes_on_site) == (rules.PRESENT, 555)
    assert not RegisterDay.objects.filter(person=dan, group=night, day=saturday + dt.timedelta(days=1)).exclude(
        status=rules.NOT_EXPECTED).exists()


def test_it_keeps_one_row_without_a_group_for_someone_in_none(committed, media_root):
    eve, hall = make_person("Eve"), make_camera("Hall")

    visit(eve, hall, at(FRIDAY, 9), at(FRIDAY, 10), committed)

    (row,) = RegisterDay.objects.filter(person=eve)
    assert (row.group, row.day, row.status, row.minutes_on_site) == (None, FRIDAY, rules.NOT_EXPECTED, 60)


def _sighting_cost(person: Person, camera, committed) -> int:
    log = make_log(seen_at=at(FRIDAY, 7, 55), person=person, camera=camera)
    with CaptureQueriesContext(connection) as queries, committed():
        events.send_on_commit(events.visit_opened, sighting=Sighting(person.pk, at(FRIDAY, 7, 55), camera.pk, log.pk))
    return len(queries)


def test_it_records_a_visit_in_queries_that_do_not_grow_with_the_people(doors, class_4b, committed, media_root):
    ada = make_person("Ada")
    class_4b.members.add(ada)
    few = _sighting_cost(ada, doors[0], committed)  # a class of one
    for number in range(300):
        class_4b.members.add(Person.objects.create(name=f"Person {number:03d}", created_at=at(FRIDAY, 0)))
    bob = make_person("Bob")
    class_4b.members.add(bob)

    assert _sighting_cost(bob, doors[0], committed) == few  # a class of 302


def test_it_derives_everyones_day_again(class_4b, media_root):
    for name in ("Ada", "Bea"):
        class_4b.members.add(make_person(name))

    assert day_derive_all(day=FRIDAY) == 2
    assert set(RegisterDay.objects.values_list("status", flat=True)) == {rules.ABSENT}
