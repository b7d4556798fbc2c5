"""The register's setup services: every bad input answered with a sentence and nothing written
(overlapping sessions, a night shift running into the next day, an end before its start, two
schedules of a group from one date, a past schedule rewritten, an absence or a closure ending
before it starts), and every write one audit entry."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from attendance.models import AttendanceCode, CameraRole, Closure, Group, PlannedAbsence, RegisterDay, Schedule
from attendance.setup import calendar, groups, schedules
from attendance.setup.schedules import SessionRow
from audit.models import AuditEntry
from faceapp.clock import site_date
from tests import review_data

pytestmark = pytest.mark.django_db
MON, TUE, SUN = 0, 1, 6
TODAY = site_date()


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def row(weekday: int, start: str, end: str, overnight: bool = False) -> SessionRow:
    return SessionRow(weekday, t(start), t(end), overnight)


@pytest.fixture
def group() -> Group:
    return groups.group_create(actor=None, name="7A")


def _refusal(call, **kwargs) -> str:
    with pytest.raises(ValidationError) as refused:
        call(**kwargs)
    return " ".join(refused.value.messages)


def test_it_creates_a_schedule_with_two_sessions_and_a_night_shift_and_audits_it(group, admin_user):
    sessions = [row(MON, "08:00", "12:00"), row(MON, "13:00", "16:00"), row(TUE, "22:00", "06:00", True)]

    schedule = schedules.schedule_create(actor=admin_user, group=group, starts_on=TODAY, sessions=sessions,
                                         grace_late=10, close_out="last_seen")

    assert [(s.weekday, s.start, s.end, s.overnight) for s in schedule.sessions.all()] == [
        (MON, t("08:00"), t("12:00"), False), (MON, t("13:00"), t("16:00"), False), (TUE, t("22:00"), t("06:00"), True)]
    assert (schedule.grace_late, schedule.close_out) == (10, "last_seen")
    entry = AuditEntry.objects.get(action=AuditEntry.SCHEDULE_SAVED)
    assert entry.actor == admin_user and entry.target == "7A" and "Tuesday 22:00–06:00 (overnight)" in entry.detail


@pytest.mark.parametrize("sessions, sentence", [
    ([row(MON, "08:00", "12:00"), row(MON, "11:00", "13:00")], "Monday 08:00–12:00 overlaps Monday 11:00–13:00."),
    ([row(MON, "22:00", "06:00", True), row(TUE, "05:30", "09:00")],
     "Monday 22:00–06:00 (overnight) overlaps Tuesday 05:30–09:00."),
    ([row(SUN, "22:00", "06:00", True), row(MON, "05:00", "12:00")],
     "Sunday 22:00–06:00 (overnight) overlaps Monday 05:00–12:00."),
    ([row(MON, "12:00", "08:00")], "Monday 12:00–08:00 ends before it starts: mark it overnight"),
    ([row(MON, "08:00", "08:00")], "Monday 08:00–08:00 ends before it starts"),
    ([row(MON, "08:00", "12:00", True)], "is marked overnight but ends the same day"),
])
def test_it_refuses_sessions_that_overlap_or_end_before_they_start(group, sessions, sentence):
    said = _refusal(schedules.schedule_create, actor=None, group=group, starts_on=TODAY, sessions=sessions)

    assert sentence in said
    assert not Schedule.objects.exists() and not AuditEntry.objects.filter(action=AuditEntry.SCHEDULE_SAVED).exists()


def test_it_takes_sessions_that_only_touch(group):
    sessions = [row(MON, "08:00", "12:00"), row(MON, "12:00", "13:00"), row(MON, "22:00", "08:00", True),
                row(TUE, "08:00", "09:00")]

    assert schedules.schedule_create(actor=None, group=group, starts_on=TODAY, sessions=sessions).sessions.count() == 4


def test_it_refuses_two_schedules_of_a_group_from_one_date(group):
    schedules.schedule_create(actor=None, group=group, starts_on=TODAY, sessions=[row(MON, "08:00", "12:00")])

    said = _refusal(schedules.schedule_create, actor=None, group=group, starts_on=TODAY, sessions=[])

    assert f"7A has a schedule from {TODAY} already" in said and Schedule.objects.count() == 1


def test_it_never_rewrites_a_schedule_in_force_before_today(group):
    past = schedules.schedule_create(actor=None, group=group, starts_on=TODAY - dt.timedelta(days=7),
                                     sessions=[row(MON, "08:00", "12:00")])

    said = _refusal(schedules.schedule_update, actor=None, schedule=past, starts_on=TODAY,
                    sessions=[row(MON, "09:00", "12:00")])
    assert "a past schedule is never rewritten" in said
    assert "past schedule" in _refusal(schedules.schedule_delete, actor=None, schedule=past)
    assert [(s.start,) for s in past.sessions.all()] == [(t("08:00"),)]


def test_it_edits_a_schedule_from_today_or_later(group):
    coming = schedules.schedule_create(actor=None, group=group, starts_on=TODAY + dt.timedelta(days=3),
                                       sessions=[row(MON, "08:00", "12:00")])

    schedules.schedule_update(actor=None, schedule=coming, starts_on=TODAY, sessions=[row(MON, "09:00", "12:00")],
                              grace_late=0)

    coming.refresh_from_db()
    assert (coming.starts_on, coming.grace_late, [s.start for s in coming.sessions.all()]) == (TODAY, 0, [t("09:00")])


def test_it_refuses_a_schedule_from_a_past_day_the_register_has_already(group):
    person = review_data.make_person("Ada")
    RegisterDay.objects.create(person=person, group=group, day=TODAY - dt.timedelta(days=2), status="not_expected")

    said = _refusal(schedules.schedule_create, actor=None, group=group, starts_on=TODAY - dt.timedelta(days=5),
                    sessions=[])

    assert "would rewrite them" in said and not Schedule.objects.exists()


def test_it_refuses_minutes_out_of_range(group):
    said = _refusal(schedules.schedule_create, actor=None, group=group, starts_on=TODAY, sessions=[], grace_late=-1)

    assert "Minutes from 0 to 1440" in said


def test_it_refuses_a_closure_ending_before_it_starts():
    said = _refusal(calendar.closure_create, actor=None, name="Autumn", first_day=dt.date(2026, 10, 30),
                    last_day=dt.date(2026, 10, 26))

    assert "The closure Autumn ends on 2026-10-26, before it starts on 2026-10-30" in said
    assert not Closure.objects.exists()


def test_it_keeps_a_closure_for_some_groups_and_audits_it(group, admin_user):
    closure = calendar.closure_create(actor=admin_user, name="Trip week", first_day=TODAY, last_day=TODAY,
                                      groups=[group])

    assert list(closure.groups.all()) == [group]
    assert AuditEntry.objects.get(action=AuditEntry.CLOSURE_SAVED).detail == f"{TODAY} to {TODAY}, 7A"


def test_it_refuses_a_planned_absence_ending_before_it_starts_or_overlapping_or_unexcused():
    person = review_data.make_person("Ada")
    sick = AttendanceCode.objects.get(label="S: sick")
    unexcused = AttendanceCode.objects.get(label="A: unexcused absence")

    assert "ends on 2026-03-01, before it starts on 2026-03-05" in _refusal(
        calendar.absence_create, actor=None, person=person, first_day=dt.date(2026, 3, 5),
        last_day=dt.date(2026, 3, 1), code=sick)
    assert "Choose an excused-absence code" in _refusal(
        calendar.absence_create, actor=None, person=person, first_day=TODAY, last_day=TODAY, code=unexcused)
    calendar.absence_create(actor=None, person=person, first_day=TODAY, last_day=TODAY + dt.timedelta(days=2),
                            code=sick, reason="flu")
    assert "Ada is away from" in _refusal(calendar.absence_create, actor=None, person=person,
                                          first_day=TODAY + dt.timedelta(days=1), last_day=TODAY + dt.timedelta(days=9),
                                          code=sick)
    assert PlannedAbsence.objects.count() == 1
    assert AuditEntry.objects.get(action=AuditEntry.ABSENCE_SAVED).person == person


def test_it_seeds_a_code_per_category_and_refuses_a_bad_or_used_code():
    assert {code.category for code in AttendanceCode.objects.all()} == {choice for choice, _ in
                                                                        AttendanceCode.CATEGORY_CHOICES}
    sick = AttendanceCode.objects.get(label="S: sick")
    calendar.absence_create(actor=None, person=review_data.make_person("Ada"), first_day=TODAY, last_day=TODAY,
                            code=sick)

    assert "There is a code s: SICK already" in _refusal(calendar.code_create, actor=None, label="s: SICK",
                                                         category="present")
    assert "#rrggbb" in _refusal(calendar.code_create, actor=None, label="T: trip", category="excused_absence",
                                 colour="blue")
    assert "cannot be deleted" in _refusal(calendar.code_delete, actor=None, code=sick)
    assert "stays an excused-absence code" in _refusal(calendar.code_update, actor=None, code=sick, label="S: sick",
                                                       category="present", colour="#000000")


def test_it_refuses_a_group_name_taken_or_empty_and_deleting_a_group_with_register_days(group):
    assert "There is a group called 7a already" in _refusal(groups.group_create, actor=None, name=" 7a ")
    assert "needs a name" in _refusal(groups.group_create, actor=None, name="  ")
    RegisterDay.objects.create(person=review_data.make_person("Ada"), group=group, day=TODAY, status="present")

    assert "has 1 days in the register" in _refusal(groups.group_delete, actor=None, group=group)
    assert Group.objects.filter(pk=group.pk).exists()


def test_it_audits_each_member_added_and_removed_once(group, admin_user):
    ada, bob = review_data.make_person("Ada"), review_data.make_person("Bob")

    assert groups.group_members_add(actor=admin_user, group=group, people=[ada, bob, ada]) == 2
    assert groups.group_members_add(actor=admin_user, group=group, people=[ada]) == 0
    assert groups.group_members_remove(actor=admin_user, group=group, people=[bob]) == 1

    assert list(group.members.all()) == [ada]
    added = AuditEntry.objects.filter(action=AuditEntry.GROUP_MEMBER_ADDED)
    assert sorted(entry.person.name for entry in added) == ["Ada", "Bob"] and {e.target for e in added} == {"7A"}
    assert AuditEntry.objects.get(action=AuditEntry.GROUP_MEMBER_REMOVED).person == bob


def test_it_makes_only_users_with_a_role_responsible(group, viewer_user, django_user_model):
    nobody = django_user_model.objects.create_user(username="nobody")

    assert "nobody has no role" in _refusal(groups.group_responsible_set, actor=None, group=group,
                                            users=[viewer_user, nobody])
    groups.group_responsible_set(actor=None, group=group, users=[viewer_user])
    assert list(group.responsible.all()) == [viewer_user]


def test_it_sets_a_cameras_role_and_audits_the_change(admin_user):
    camera = review_data.make_camera("Door")

    calendar.camera_role_set(actor=admin_user, camera=camera, role=CameraRole.ENTRY)

    assert CameraRole.objects.get(camera=camera).role == "entry"
    assert AuditEntry.objects.get(action=AuditEntry.CAMERA_ROLE_SET).detail == "presence → entry"
    assert "role is one of" in _refusal(calendar.camera_role_set, actor=None, camera=camera, role="door")
