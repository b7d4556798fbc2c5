"""Attendance reads: who was expected on a day, whose records, arrivals per hour, the CSV rows."""

import datetime as dt

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from attendance.models import AttendanceRecord
from faceapp.clock import clock_text, site_day_bounds
from identity.models import Person, enrolment_complete

EXPORT_COLUMNS = ["person", "code", "day", "first_seen", "last_seen", "camera"]


def people_expected(*, day: dt.date) -> QuerySet[Person]:
    """Who could have come that day: active people enrolled by its end (not those enrolled later),
    complete entries only (identity.models.enrolment_complete: a failed enrolment is never expected)."""
    people = Person.objects.filter(enrolment_complete(), active=True, created_at__lt=site_day_bounds(day)[1])
    return people.order_by("name", "id")


def records_of_day(*, day: dt.date) -> dict[int, AttendanceRecord]:
    """The day's records of active people by person id, with their person and camera."""
    records = AttendanceRecord.objects.filter(day=day, person__active=True).select_related("person", "camera")
    return {record.person_id: record for record in records}


def day_counts(*, day: dt.date) -> tuple[int, int]:
    """(present, absent) among people_expected of `day`: two queries whatever the number of people."""
    expected = people_expected(day=day)
    present = expected.filter(attendance__day=day).count()
    return present, expected.count() - present


def person_days(*, person: Person, limit: int) -> QuerySet[AttendanceRecord]:
    """A person's latest `limit` days, newest first, with their cameras."""
    return person.attendance.select_related("camera")[:limit]


def arrivals_per_hour(*, day: dt.date) -> list[int]:
    """How many people arrived (were first seen) in each local hour 0..23 of `day`."""
    counts = [0] * 24
    rows = (
        AttendanceRecord.objects.filter(day=day)
        .annotate(hour=ExtractHour("first_seen", tzinfo=timezone.get_default_timezone()))
        .values("hour")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[row["hour"]] += row["n"]
    return counts


def attendance_export_rows(*, start: dt.date, end: dt.date, with_absent: bool = False) -> list[list[str]]:
    """One row of strings (EXPORT_COLUMNS) per person present per day, start..end inclusive; with
    `with_absent`, also one per person expected (people_expected) but not seen, with no times."""
    if end < start:
        raise ValueError("The end day is before the start day.")
    records = (
        AttendanceRecord.objects.filter(day__gte=start, day__lte=end)
        .select_related("person", "camera")
        .order_by("day", "first_seen", "person_id")
    )
    rows: list[list[str]] = []
    by_day: dict[dt.date, set[int]] = {}
    for record in records:
        by_day.setdefault(record.day, set()).add(record.person_id)
        rows.append([
            record.person.name,
            record.person.code or "",
            record.day.isoformat(),
            clock_text(record.first_seen),
            clock_text(record.last_seen),
            record.camera.name if record.camera else "",
        ])
    if not with_absent:
        return rows
    absent = []
    day = start
    while day <= end:
        seen = by_day.get(day, set())
        absent += [[person.name, person.code or "", day.isoformat(), "", "", ""]
                   for person in people_expected(day=day) if person.pk not in seen]
        day += dt.timedelta(days=1)
    # Each day's present people by arrival, then its absent people by name.
    return sorted(rows + absent, key=lambda row: (row[2], row[3] == ""))
