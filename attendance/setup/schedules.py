"""Schedules: a group's weekly sessions and minutes from a date. A schedule in force before today
is never rewritten (its days name it): a change is a new schedule from the day it starts."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from attendance.models import Group, Schedule, ScheduleSession
from audit.models import AuditEntry
from audit.services import audit_record
from faceapp.clock import site_date

WEEK_MINUTES = 7 * 24 * 60
MINUTE_FIELDS = ("grace_late", "grace_early", "absent_after", "checkin_before", "checkout_after")
MAX_MINUTES = 24 * 60
CLOSE_OUTS = {choice for choice, _ in Schedule.CLOSE_OUT_CHOICES}


@dataclass(frozen=True)
class SessionRow:
    """One session as the office gives it: `overnight` when it ends the next day (a night shift)."""

    weekday: int  # 0 Monday .. 6 Sunday
    start: dt.time
    end: dt.time
    overnight: bool = False

    def text(self) -> str:
        night = " (overnight)" if self.overnight else ""
        return f"{ScheduleSession.WEEKDAYS[self.weekday]} {self.start:%H:%M}–{self.end:%H:%M}{night}"

    def week_span(self) -> tuple[int, int]:
        """[start, end) in minutes from Monday 00:00 (the end may pass Sunday midnight)."""
        start = self.weekday * 24 * 60 + self.start.hour * 60 + self.start.minute
        length = (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)
        return start, start + (length if length > 0 else length + 24 * 60)


def sessions_check(sessions: list[SessionRow]) -> None:
    """Each session ends after it starts, or is marked overnight and ends at or before its start
    time the next day; no two overlap, an overnight session with the next day's first included."""
    errors = []
    for row in sessions:
        if not 0 <= row.weekday <= 6:
            errors.append(f"{row.weekday} is not a weekday (0 Monday to 6 Sunday).")
        elif row.end <= row.start and not row.overnight:
            errors.append(f"{row.text()} ends before it starts: mark it overnight if it ends the next day.")
        elif row.end > row.start and row.overnight:
            errors.append(f"{row.text()} is marked overnight but ends the same day: leave overnight unmarked.")
    if errors:
        raise ValidationError({"sessions": errors})
    spans = sorted((row.week_span(), row) for row in sessions)
    # The week wraps: Sunday's night shift runs into Monday, so Monday's sessions come again after it.
    wrapped = spans + [((start + WEEK_MINUTES, end + WEEK_MINUTES), row) for (start, end), row in spans]
    for ((_, end), row), ((next_start, _), following) in zip(wrapped, wrapped[1:len(spans) + 1]):
        if next_start < end and row is not following:
            errors.append(f"{row.text()} overlaps {following.text()}.")
    if errors:
        raise ValidationError({"sessions": errors})


def _minutes_clean(minutes: dict) -> dict:
    unknown = set(minutes) - set(MINUTE_FIELDS) - {"close_out"}
    if unknown:
        raise ValidationError(f"Unknown schedule settings: {', '.join(sorted(unknown))}.")
    errors = {}
    for name in MINUTE_FIELDS:
        value = minutes.get(name)
        if value is not None and not (isinstance(value, int) and 0 <= value <= MAX_MINUTES):
            errors[name] = f"Minutes from 0 to {MAX_MINUTES} (a day)."
    if "close_out" in minutes and minutes["close_out"] not in CLOSE_OUTS:
        errors["close_out"] = f"A forgotten check-out is closed at one of: {', '.join(sorted(CLOSE_OUTS))}."
    if errors:
        raise ValidationError(errors)
    return {name: value for name, value in minutes.items() if value is not None}


def _start_check(*, group: Group, starts_on: dt.date, schedule: Schedule | None = None) -> None:
    """Not before today where the register has days of the group from that date: they would be rewritten."""
    taken = Schedule.objects.filter(group=group, starts_on=starts_on).exclude(pk=schedule.pk if schedule else None)
    if taken.exists():
        raise ValidationError({"starts_on": f"{group.name} has a schedule from {starts_on} already: edit that one, "
                                            "or start this one on another day."})
    if starts_on < site_date() and group.days.filter(day__gte=starts_on).exists():
        raise ValidationError({"starts_on": f"{group.name}'s register has days from {starts_on} on: a schedule "
                                            "from before today would rewrite them. Start it today or later."})


def _detail(schedule: Schedule, sessions: list[SessionRow]) -> str:
    return f"from {schedule.starts_on}: " + ("; ".join(row.text() for row in sessions) or "no sessions")


def _sessions_write(schedule: Schedule, sessions: list[SessionRow]) -> None:
    ScheduleSession.objects.bulk_create([
        ScheduleSession(schedule=schedule, weekday=row.weekday, start=row.start, end=row.end, overnight=row.overnight)
        for row in sessions])


def schedule_create(*, actor, group: Group, starts_on: dt.date, sessions: list[SessionRow], **minutes) -> Schedule:
    """A schedule in force from `starts_on` until the group's next one. `minutes`: grace_late,
    grace_early, absent_after, checkin_before, checkout_after (0..1440) and close_out."""
    sessions_check(sessions)
    minutes = _minutes_clean(minutes)
    _start_check(group=group, starts_on=starts_on)
    try:
        # The schedule and its sessions arrive together; two offices saving the same date at once: one wins.
        with transaction.atomic():
            schedule = Schedule.objects.create(group=group, starts_on=starts_on, **minutes)
            _sessions_write(schedule, sessions)
            audit_record(actor=actor, action=AuditEntry.SCHEDULE_SAVED, target=group.name,
                         detail=_detail(schedule, sessions))
    except IntegrityError as error:
        raise ValidationError({"starts_on": f"{group.name} has a schedule from {starts_on} already."}) from error
    return schedule


def _not_in_force_yet(schedule: Schedule) -> None:
    if schedule.starts_on < site_date():
        raise ValidationError(f"This schedule has been in force since {schedule.starts_on}: a past schedule is "
                              "never rewritten. Make a new schedule from the day the change starts.")


def schedule_update(*, actor, schedule: Schedule, starts_on: dt.date, sessions: list[SessionRow],
                    **minutes) -> Schedule:
    """Only a schedule that starts today or later, and to a start today or later."""
    _not_in_force_yet(schedule)
    if starts_on < site_date():
        raise ValidationError({"starts_on": "An edited schedule starts today or later: the days before are kept."})
    sessions_check(sessions)
    minutes = _minutes_clean(minutes)
    _start_check(group=schedule.group, starts_on=starts_on, schedule=schedule)
    try:
        with transaction.atomic():
            schedule.starts_on = starts_on
            for name, value in minutes.items():
                setattr(schedule, name, value)
            schedule.save()
            schedule.sessions.all().delete()
            _sessions_write(schedule, sessions)
            audit_record(actor=actor, action=AuditEntry.SCHEDULE_SAVED, target=schedule.group.name,
                         detail="edited, " + _detail(schedule, sessions))
    except IntegrityError as error:
        raise ValidationError({"starts_on": f"{schedule.group.name} has a schedule from {starts_on} already."}) from error
    return schedule


def schedule_delete(*, actor, schedule: Schedule) -> None:
    """Only one not in force yet (or from today): a past one is what its days were counted by."""
    _not_in_force_yet(schedule)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.SCHEDULE_DELETED, target=schedule.group.name,
                     detail=f"from {schedule.starts_on}")
        schedule.delete()


def session_rows(schedule: Schedule) -> list[SessionRow]:
    return [SessionRow(session.weekday, session.start, session.end, session.overnight)
            for session in schedule.sessions.all()]

