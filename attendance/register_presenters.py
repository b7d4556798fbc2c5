"""The register's web JSON: a group's day (the page, the API, the live `register.rows` event), a
month sheet and the period summary as tables (attendance.exports' cells) with their context.
Shapes in attendance.register_serializers."""

import datetime as dt

from django.utils import timezone

from attendance import rules
from attendance.exports import month_sheet_table, summary_table
from attendance.models import AttendanceCode, AttendanceEvent, Group, RegisterDay
from attendance.register_selectors import marks_in_force
from attendance.sheets import DailyRegister, GroupSummary, MonthSheet, cell_text, daily_register
from identity.models import Person

STATUS_LABELS = dict(RegisterDay.STATUS_CHOICES)
ATTENDED = (rules.PRESENT, rules.LATE, rules.LEFT_EARLY)
COUNTED = ("expected", "in", "late", "absent", "excused", "left_early", "in_now", "pending", "holiday")


def duration_text(minutes: int) -> str:
    """427 → "7 h 07"; nothing → "" (an empty cell rather than "0 h 00")."""
    return f"{minutes // 60} h {minutes % 60:02d}" if minutes else ""


def _moment(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def register_row(person: Person, row: RegisterDay | None, mark: AttendanceEvent | None) -> dict:
    """One member's day: {person_id, name, code, status, status_label, cell, colour, first_in,
    last_out, minutes_late, minutes_on_site, on_site, in_now, forgotten_out, marked, mark_id,
    mark_reason}; a member with no derived day yet is "pending"."""
    status = row.status if row else rules.PENDING
    code = row.code if row and row.code_id else None
    return {
        "person_id": person.pk, "name": person.name, "code": person.code or "",
        "status": status, "status_label": STATUS_LABELS[status], "cell": cell_text(row),
        "colour": code.colour if code else None,
        "first_in": _moment(row.first_in if row else None), "last_out": _moment(row.last_out if row else None),
        "minutes_late": row.minutes_late if row else 0, "minutes_on_site": row.minutes_on_site if row else 0,
        "on_site": duration_text(row.minutes_on_site if row else 0),
        "in_now": bool(row and row.in_now), "forgotten_out": bool(row and row.forgotten_out),
        "marked": bool(row and row.marked), "mark_id": mark.pk if mark else None,
        "mark_reason": " ".join(part for part in (f"[{mark.code.label}]" if mark and mark.code else "",
                                                  mark.reason if mark else "") if part),
    }


def register_counts(register: DailyRegister) -> dict:
    """{expected, in, late, absent, excused, left_early, in_now, pending, holiday}."""
    counts = register.counts
    return {**{name: counts.get(name, 0) for name in COUNTED}, "in": sum(counts[status] for status in ATTENDED)}


def register_payload(register: DailyRegister, marks: dict[int, AttendanceEvent]) -> dict:
    """{group: {id, name}, day, counts, rows: [register_row]}."""
    return {"group": {"id": register.group.pk, "name": register.group.name}, "day": register.day.isoformat(),
            "counts": register_counts(register),
            "rows": [register_row(person, row, marks.get(person.pk)) for person, row in register.rows]}


def group_day_payload(*, group: Group, day: dt.date) -> dict:
    return register_payload(daily_register(group=group, day=day), marks_in_force(group=group, day=day))


def register_rows_events(*, rows: list[RegisterDay]) -> list[dict]:
    """A `register.rows` event per group and day touched: {type, group_id, day, rows: [register_row],
    counts: the group's day's counts}. A few queries per group and day, whatever the group's size
    or the number of rows (the scheduler's first pass of a day moves every member at once)."""
    people = Person.objects.in_bulk({row.person_id for row in rows})
    codes = AttendanceCode.objects.in_bulk({row.code_id for row in rows if row.code_id})
    groups = Group.objects.in_bulk({row.group_id for row in rows})
    events: dict[tuple[int, dt.date], dict] = {}
    marks_of: dict[tuple[int, dt.date], dict] = {}
    for row in rows:
        person, group = people.get(row.person_id), groups.get(row.group_id)
        if person is None or group is None:
            continue  # erased or deleted since
        key = (group.pk, row.day)
        if key not in events:
            events[key] = {"type": "register.rows", "group_id": group.pk, "day": row.day.isoformat(), "rows": [],
                           "counts": register_counts(daily_register(group=group, day=row.day))}
            marks_of[key] = marks_in_force(group=group, day=row.day)
        row.code = codes.get(row.code_id)
        events[key]["rows"].append(register_row(person, row, marks_of[key].get(person.pk)))
    return list(events.values())


def month_payload(sheet: MonthSheet) -> dict:
    """{group: {id, name}, month: "YYYY-MM", table: month_sheet_table (a header row, then one per person)}."""
    return {"group": {"id": sheet.group.pk, "name": sheet.group.name}, "month": sheet.days[0].strftime("%Y-%m"),
            "table": month_sheet_table(sheet)}


def summary_payload(*, summaries: list[GroupSummary], per_day: list[tuple], first_day: dt.date,
                    last_day: dt.date) -> dict:
    """{from, to, table: summary_table, days: [{day, attended, expected}]}."""
    return {"from": first_day.isoformat(), "to": last_day.isoformat(), "table": summary_table(summaries),
            "days": [{"day": day.isoformat(), "attended": attended, "expected": expected}
                     for day, attended, expected in per_day]}
