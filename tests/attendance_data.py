"""Attendance set-ups shared by the attendance tests (helpers, not tests): a class with one
morning session Monday to Friday in Europe/Berlin, its members, and moments of its days."""

import datetime as dt
from zoneinfo import ZoneInfo

from attendance.models import AttendanceEvent, Group, Schedule, ScheduleSession
from attendance.register import person_day_derive
from django.utils import timezone

from faceapp.clock import site_date, site_day_bounds

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = dt.date(2026, 10, 23)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BERLIN)


def earlier_today(before: dt.timedelta) -> dt.datetime:
    """About `before` ago, scaled by how much of the site's day has passed so that it stays today
    (a run just after midnight too), and in the same order as `before`."""
    now = timezone.now()
    start, _ = site_day_bounds(site_date(now))
    return now - before * ((now - start) / dt.timedelta(days=1))


def morning_class(name: str = "4B", *, members=(), notify_contacts: bool = False, responsible=()) -> Group:
    """08:00-12:00 Monday to Friday; late after 5 minutes' grace, absent when not seen by 08:30."""
    group = Group.objects.create(name=name, notify_contacts=notify_contacts)
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), grace_late=5, absent_after=30)
    for weekday in range(5):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(8), end=dt.time(12))
    group.members.add(*members)
    group.responsible.add(*responsible)
    return group


def seen(person, moment: dt.datetime, kind: str = AttendanceEvent.SEEN) -> AttendanceEvent:
    """A sighting in the log (a presence camera's SEEN, or an exit's OUT), and the person's day
    derived at that moment, as the live path does for a named visit."""
    event = AttendanceEvent.objects.create(person=person, at=moment, kind=kind)
    person_day_derive(person_id=person.pk, day=site_date(moment), now=moment)
    return event
