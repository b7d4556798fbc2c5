"""Corrections: a responsible user marks a person (or a whole group) present, late, absent or
excused for a day, with a code and a reason. A mark is an attendance event of its own: it wins
over what the sightings say until it is taken back (voided), and each is one audit entry naming
who, when, the status before and after."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from attendance.models import AttendanceCode, AttendanceEvent, Group, RegisterDay
from attendance.register import person_day_derive
from audit.models import AuditEntry
from audit.services import audit_record
from faceapp.clock import site_date, site_day_bounds
from identity.models import Person


def day_statuses(person_id: int, day: dt.date) -> str:
    rows = RegisterDay.objects.filter(person_id=person_id, day=day).order_by("group__name")
    return ", ".join(row.get_status_display() for row in rows) or "nothing recorded"


def day_check(*, person: Person, day: dt.date) -> None:
    enrolled = site_date(person.created_at)
    if day < enrolled:
        raise ValidationError(f"{day} is before {person.name} was enrolled ({enrolled}): there is no day to correct.")
    if day > site_date():
        raise ValidationError(f"{day} is in the future: a day is corrected once it has begun (a planned absence "
                              "says ahead of time that someone will be away).")


def day_mark(*, person: Person, day: dt.date, status: str, actor, code: AttendanceCode | None = None,
             reason: str = "", group: Group | None = None) -> AttendanceEvent:
    """Mark the person's day (in `group`, or in every group of theirs when None) as `status`."""
    if status not in AttendanceEvent.MARK_STATUSES:
        raise ValidationError(f"a day is marked {', '.join(AttendanceEvent.MARK_STATUSES)}, not {status!r}")
    day_check(person=person, day=day)
    if group is not None and not group.members.filter(pk=person.pk).exists():
        raise ValidationError(f"{person.name} is not in {group.name}.")
    # Two users correcting the same day at once: each mark is its own event, the latest wins, both audited.
    with transaction.atomic():
        before = day_statuses(person.pk, day)
        mark = AttendanceEvent.objects.create(
            person=person, at=site_day_bounds(day)[0], kind=AttendanceEvent.MARK, day=day, group=group,
            status=status, code=code, reason=reason[:200], created_by=actor if actor and actor.pk else None)
        person_day_derive(person_id=person.pk, day=day)
        audit_record(actor=actor, action=AuditEntry.ATTENDANCE_MARKED, person=person,
                     target=group.name if group else "", detail=mark_detail(day, before, day_statuses(person.pk, day),
                                                                       code, reason))
    return mark


def group_mark(*, group: Group, day: dt.date, status: str, actor, code: AttendanceCode | None = None,
               reason: str = "") -> list[AttendanceEvent]:
    """Mark every member of the group enrolled by `day` (one mark and one audit entry each)."""
    members = group.members.filter(created_at__lt=site_day_bounds(day)[1]).order_by("name")
    with transaction.atomic():
        return [day_mark(person=person, day=day, status=status, actor=actor, code=code, reason=reason, group=group)
                for person in members]


def mark_remove(*, mark: AttendanceEvent, actor) -> None:
    """Take a mark back: it is voided (kept in the log) and the day derived again from the sightings."""
    if mark.kind != AttendanceEvent.MARK or mark.voided_at is not None:
        raise ValidationError("only a mark in force can be taken back")
    with transaction.atomic():
        before = day_statuses(mark.person_id, mark.day)
        AttendanceEvent.objects.filter(pk=mark.pk).update(voided_at=timezone.now(), voided_why="mark taken back")
        person_day_derive(person_id=mark.person_id, day=mark.day)
        audit_record(actor=actor, action=AuditEntry.ATTENDANCE_UNMARKED, person=mark.person,
                     target=mark.group.name if mark.group else "",
                     detail=mark_detail(mark.day, before, day_statuses(mark.person_id, mark.day), mark.code, mark.reason))


def mark_detail(day: dt.date, before: str, after: str, code: AttendanceCode | None, reason: str) -> str:
    said = " ".join(part for part in (f"[{code.label}]" if code else "", reason) if part)
    return f"{day}: {before} → {after}" + (f" ({said})" if said else "")

