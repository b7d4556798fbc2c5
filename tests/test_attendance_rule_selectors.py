"""What a day expects of people, as the register's derivation reads it: the schedule in force,
that weekday's sessions (a night shift on the day it starts), closures for all or some groups,
planned absences; a bounded number of queries for one person or a whole group."""

import datetime as dt

import pytest

from attendance import rules
from attendance.models import AttendanceCode
from attendance.rule_selectors import members_day_rules, people_day_rules, person_day_rules, schedule_in_force
from attendance.setup import calendar, groups, schedules
from attendance.setup.schedules import SessionRow
from tests import review_data

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2030, 1, 7)  # a Monday in the future: every schedule may start on it
t = dt.time.fromisoformat


@pytest.fixture
def school():
    """7A: two sessions on Mondays from MONDAY, one from the next Monday on; Night: a Monday night shift."""
    class_7a = groups.group_create(actor=None, name="7A")
    night = groups.group_create(actor=None, name="Night", kind="team")
    first = schedules.schedule_create(actor=None, group=class_7a, starts_on=MONDAY, grace_late=7, sessions=[
        SessionRow(0, t("08:00"), t("12:00")), SessionRow(0, t("13:00"), t("15:30")), SessionRow(2, t("08:00"), t("12:00"))])
    second = schedules.schedule_create(actor=None, group=class_7a, starts_on=MONDAY + dt.timedelta(days=7),
                                       sessions=[SessionRow(0, t("09:00"), t("12:00"))])
    shift = schedules.schedule_create(actor=None, group=night, starts_on=MONDAY, close_out="last_seen",
                                      sessions=[SessionRow(0, t("22:00"), t("06:00"), True)])
    ada, bob = review_data.make_person("Ada"), review_data.make_person("Bob")
    groups.group_members_add(actor=None, group=class_7a, people=[ada, bob])
    groups.group_members_add(actor=None, group=night, people=[ada])
    return {"7A": class_7a, "Night": night, "first": first, "second": second, "shift": shift, "ada": ada, "bob": bob}


def test_it_finds_the_schedule_in_force(school):
    class_7a = school["7A"]

    assert schedule_in_force(group=class_7a, day=MONDAY - dt.timedelta(days=1)) is None
    assert schedule_in_force(group=class_7a, day=MONDAY + dt.timedelta(days=6)) == school["first"]
    assert schedule_in_force(group=class_7a, day=MONDAY + dt.timedelta(days=30)) == school["second"]


def test_it_gives_a_persons_rule_per_group_from_the_schedule_in_force(school):
    day = person_day_rules(person_id=school["ada"].pk, day=MONDAY)

    class_7a, night = day.groups
    assert (class_7a.group_id, class_7a.schedule_id, class_7a.holiday) == (school["7A"].pk, school["first"].pk, False)
    assert class_7a.rule == rules.DayRule(
        sessions=(rules.SessionTimes(t("08:00"), t("12:00")), rules.SessionTimes(t("13:00"), t("15:30"))),
        grace_late=7, grace_early=5, absent_after=30, checkin_before=60, checkout_after=240,
        close_out=rules.CLOSE_AT_SESSION_END)
    assert night.rule.sessions == (rules.SessionTimes(t("22:00"), t("06:00")),)  # counts for the Monday it starts
    assert night.rule.close_out == rules.CLOSE_AT_LAST_SIGHTING
    assert not day.excused
    tuesday = person_day_rules(person_id=school["ada"].pk, day=MONDAY + dt.timedelta(days=1))
    assert [group.rule.sessions for group in tuesday.groups] == [(), ()]  # the night shift is Monday's, not Tuesday's
    later = person_day_rules(person_id=school["ada"].pk, day=MONDAY + dt.timedelta(days=7))
    assert later.groups[0].rule.sessions == (rules.SessionTimes(t("09:00"), t("12:00")),)


def test_it_says_a_closure_for_all_or_some_groups_and_a_planned_absence(school):
    calendar.closure_create(actor=None, name="Staff day", first_day=MONDAY, last_day=MONDAY, groups=[school["7A"]])
    calendar.closure_create(actor=None, name="Holiday", first_day=MONDAY + dt.timedelta(days=2),
                            last_day=MONDAY + dt.timedelta(days=2))
    sick = AttendanceCode.objects.get(label="S: sick")
    calendar.absence_create(actor=None, person=school["bob"], first_day=MONDAY, last_day=MONDAY, code=sick)

    monday = people_day_rules(person_ids=[school["ada"].pk, school["bob"].pk], day=MONDAY)
    wednesday = person_day_rules(person_id=school["ada"].pk, day=MONDAY + dt.timedelta(days=2))

    assert [g.holiday for g in monday[school["ada"].pk].groups] == [True, False]  # 7A closed, the night shift not
    assert (monday[school["ada"].pk].excused, monday[school["bob"].pk].absence_code_id) == (False, sick.pk)
    assert [g.holiday for g in wednesday.groups] == [True, True]


def test_it_answers_a_person_in_no_group_with_no_rule(school):
    loner = review_data.make_person("Cy")

    assert person_day_rules(person_id=loner.pk, day=MONDAY).groups == ()


def test_it_reads_a_persons_day_and_a_groups_day_in_a_few_queries_whatever_their_number(school, django_assert_max_num_queries):
    many = [review_data.make_person(f"P{n}") for n in range(30)]
    groups.group_members_add(actor=None, group=school["7A"], people=many)
    for number in range(5):
        extra = groups.group_create(actor=None, name=f"Club {number}")
        schedules.schedule_create(actor=None, group=extra, starts_on=MONDAY, sessions=[SessionRow(0, t("16:00"), t("17:00"))])
        groups.group_members_add(actor=None, group=extra, people=[school["ada"], *many])

    with django_assert_max_num_queries(6):
        ada = person_day_rules(person_id=school["ada"].pk, day=MONDAY)
    with django_assert_max_num_queries(6):
        everyone = people_day_rules(person_ids=[person.pk for person in many], day=MONDAY)
    with django_assert_max_num_queries(6):
        rule, members = members_day_rules(group=school["7A"], day=MONDAY)

    assert len(ada.groups) == 7 and all(len(day.groups) == 6 for day in everyone.values())
    assert len(members) == 32 and rule.schedule_id == school["first"].pk
