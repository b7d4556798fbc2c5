"""The register's notices (attendance/notices.py): a person's late or absent day in a group
publishes `attendance.late` / `attendance.absent` once, however often the day is derived again
(the scheduler every minute, a sighting, a correction that turns the day back and forth); an
alert rule on them fires once; a past day derived again tells nobody."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from attendance import rules
from attendance.corrections import day_mark, mark_remove
from attendance.models import Notice, RegisterDay
from attendance.register import day_derive_all, person_day_derive, register_due
from integrations.models import AlertRule, Event
from tests.attendance_data import FRIDAY, at, morning_class, seen
from tests.review_data import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def events_of(kind: str) -> list[Event]:
    return list(Event.objects.filter(type=kind).order_by("created_at"))


def test_it_publishes_attendance_absent_once_when_the_scheduler_decides_the_day(committed):
    ada, bea = make_person("Ada"), make_person("Bea")
    group = morning_class(members=[ada, bea])
    seen(bea, at(FRIDAY, 7, 58))

    with committed():
        register_due(now=at(FRIDAY, 8, 20))  # not decided yet: absent after 08:30
    assert events_of(Event.ATTENDANCE_ABSENT) == []
    with committed():
        register_due(now=at(FRIDAY, 8, 31))
        register_due(now=at(FRIDAY, 8, 32))  # the next minute's run
        person_day_derive(person_id=ada.pk, day=FRIDAY, now=at(FRIDAY, 11))  # derived again

    (event,) = events_of(Event.ATTENDANCE_ABSENT)
    assert (event.person_id, event.occurred_at) == (ada.pk, at(FRIDAY, 8, 31))
    assert event.data == {"day": "2026-10-23", "group": {"id": group.pk, "name": "4B"}, "status": rules.ABSENT,
                          "code": None, "minutes_late": 0, "first_in": None, "marked": False}
    assert list(Notice.objects.values_list("kind", "person", "group", "day")) == [
        (Notice.ABSENT, ada.pk, group.pk, FRIDAY)]


def test_it_publishes_attendance_late_once_however_often_the_day_is_derived(committed):
    ada = make_person("Ada")
    morning_class(members=[ada])

    with committed():
        seen(ada, at(FRIDAY, 8, 12))
        person_day_derive(person_id=ada.pk, day=FRIDAY, now=at(FRIDAY, 8, 13))
        seen(ada, at(FRIDAY, 9, 40))  # a later sighting derives the day again
        register_due(now=at(FRIDAY, 12, 30))

    (event,) = events_of(Event.ATTENDANCE_LATE)
    assert (event.person_id, event.occurred_at, event.data["minutes_late"]) == (ada.pk, at(FRIDAY, 8, 12), 12)
    assert event.data["first_in"] == "2026-10-23T08:12:00+02:00"


def test_it_tells_each_group_of_the_person_once(committed):
    ada = make_person("Ada")
    morning_class("4B", members=[ada])
    morning_class("Choir", members=[ada])

    with committed():
        register_due(now=at(FRIDAY, 8, 31))
        register_due(now=at(FRIDAY, 8, 45))

    assert sorted(event.data["group"]["name"] for event in events_of(Event.ATTENDANCE_ABSENT)) == ["4B", "Choir"]


def test_it_never_sends_again_a_day_turned_back_and_forth_by_corrections(committed, admin_user):
    ada = make_person("Ada")
    morning_class(members=[ada])
    with committed():
        register_due(now=at(FRIDAY, 8, 31))
    mark = day_mark(person=ada, day=FRIDAY, status=rules.PRESENT, actor=admin_user, reason="was on a trip with 4A")
    with committed():
        person_day_derive(person_id=ada.pk, day=FRIDAY, now=at(FRIDAY, 9))
    assert RegisterDay.objects.get(person=ada, day=FRIDAY).status == rules.PRESENT
    assert Notice.objects.filter(kind=Notice.ABSENT, person=ada).exists()  # not taken back

    mark_remove(mark=mark, actor=admin_user)
    with committed():
        person_day_derive(person_id=ada.pk, day=FRIDAY, now=at(FRIDAY, 9, 1))  # absent again

    assert RegisterDay.objects.get(person=ada, day=FRIDAY).status == rules.ABSENT
    assert len(events_of(Event.ATTENDANCE_ABSENT)) == 1


def test_it_tells_nobody_of_an_excused_absence_or_a_past_day_derived_again(committed, admin_user):
    ada, bea = make_person("Ada"), make_person("Bea")
    morning_class(members=[ada, bea])
    day_mark(person=ada, day=FRIDAY, status=rules.EXCUSED, actor=admin_user, reason="dentist")

    with committed():
        register_due(now=at(FRIDAY, 8, 31))  # Ada excused, Bea absent
        day_derive_all(day=FRIDAY - dt.timedelta(days=7))  # a schedule fixed after the fact: last week again
        person_day_derive(person_id=bea.pk, day=FRIDAY - dt.timedelta(days=2), now=at(FRIDAY, 8, 40))

    assert [event.person_id for event in events_of(Event.ATTENDANCE_ABSENT)] == [bea.pk]


def test_it_lets_the_constraint_decide_between_two_workers_claiming_one_day():
    ada = make_person("Ada")
    group = morning_class(members=[ada])
    Notice.objects.create(kind=Notice.ABSENT, person=ada, group=group, day=FRIDAY)

    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(kind=Notice.ABSENT, person=ada, group=group, day=FRIDAY)
    Notice.objects.create(kind=Notice.LATE, person=ada, group=group, day=FRIDAY)  # another kind: its own


def test_it_fires_an_alert_rule_on_attendance_late_once(committed):
    ada, bea = make_person("Ada"), make_person("Bea")
    morning_class(members=[ada, bea])
    anyone = AlertRule.objects.create(name="Anyone late", kind=AlertRule.LATE)
    AlertRule.objects.create(name="Bea late", kind=AlertRule.LATE, person=bea)
    AlertRule.objects.create(name="Ada absent", kind=AlertRule.ABSENT, person=ada)

    with committed():
        seen(ada, at(FRIDAY, 8, 20))
        person_day_derive(person_id=ada.pk, day=FRIDAY, now=at(FRIDAY, 8, 21))
        seen(ada, at(FRIDAY, 8, 40))

    (alert,) = events_of(Event.ALERT)
    assert (alert.data["rule"]["id"], alert.person_id) == (anyone.pk, ada.pk)
    assert alert.data["message"] == "Ada late by 20 min (4B, 2026-10-23)"
    assert alert.data["cause"]["type"] == Event.ATTENDANCE_LATE
