"""Attendance: one record per (person, day), always rebuildable from the match logs.

A visit (match log) is "present evidence" for its *effective person*: the decided person while
it is unreviewed, else the person the reviewer settled on (`reviewed_person`: the decided person
when confirmed, the new person when reassigned, nobody when rejected). A visit spans its first
and last sighting (`created_at`, `last_seen`: when the frames were taken, not when the worker
got to them); days are calendar days in settings.TIME_ZONE. A record's camera is the camera of the last sighting.

Recognition marks sightings as they come (`attendance_mark`);
review and retention rebuild a (person, day) from the evidence (`attendance_recompute`).
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from faceapp.clock import clock_text, site_date, site_day_bounds
from identity.models import AttendanceRecord, Camera, MatchLog, Person
from identity.services.realtime import DASHBOARD_GROUP, push
from integrations.hooks import person_arrived

EXPORT_COLUMNS = ["person", "code", "day", "first_seen", "last_seen", "camera"]


def effective_person_id(log: MatchLog) -> int | None:
    """Who the face counts for: the reviewer's answer once reviewed, else the decided person."""
    if log.review_status != MatchLog.UNREVIEWED:
        return log.reviewed_person_id
    return log.person_id if log.decision == MatchLog.KNOWN else None


def evidence_logs(*, person_id: int) -> QuerySet[MatchLog]:
    """All logs whose effective person is `person_id` (the rule of effective_person_id, in SQL)."""
    unreviewed = Q(review_status=MatchLog.UNREVIEWED, decision=MatchLog.KNOWN, person_id=person_id)
    reviewed = ~Q(review_status=MatchLog.UNREVIEWED) & Q(reviewed_person_id=person_id)
    return MatchLog.objects.filter(unreviewed | reviewed)


def _record_sighting(person_id: int, seen_at: dt.datetime, camera_id: int | None) -> tuple[AttendanceRecord, bool]:
    day = site_date(seen_at)
    # Two workers seeing the same person at once: the row lock makes both widen one record.
    with transaction.atomic():
        record, created = AttendanceRecord.objects.select_for_update().get_or_create(
            person_id=person_id,
            day=day,
            defaults={"first_seen": seen_at, "last_seen": seen_at, "camera_id": camera_id},
        )
        if created:
            person_arrived(person_id=person_id, seen_at=seen_at, camera_id=camera_id)  # once they commit
            return record, True
        changed = []
        if seen_at < record.first_seen:
            record.first_seen = seen_at
            changed.append("first_seen")
        if seen_at > record.last_seen:
            record.last_seen, record.camera_id = seen_at, camera_id
            changed += ["last_seen", "camera"]
        if changed:
            record.save(update_fields=changed)
    return record, bool(changed)


def attendance_mark(*, person_ids: list[int], seen_at: dt.datetime, camera: Camera | None) -> bool:
    """Record a new sighting of each person; True when any record was created or moved, and
    then the dashboards are told once it commits (every path that sees people: photos, cameras)."""
    changed = False
    for person_id in person_ids:
        changed |= _record_sighting(person_id, seen_at, camera.pk if camera else None)[1]
    if changed:
        day = site_date(seen_at)
        transaction.on_commit(lambda: attendance_push(day=day))
    return changed


def attendance_recompute(*, person_id: int, day: dt.date) -> AttendanceRecord | None:
    """Rebuild one (person, day) record from the evidence; deleted when none is left."""
    start, end = site_day_bounds(day)
    # A worker recording a sighting meanwhile: lock the record before reading the evidence.
    with transaction.atomic():
        list(AttendanceRecord.objects.select_for_update().filter(person_id=person_id, day=day))
        visits = list(
            evidence_logs(person_id=person_id)
            .filter(created_at__gte=start, created_at__lt=end)
            .values_list("created_at", "last_seen", "snapshot__camera_id")
        )
        if not visits or not Person.objects.filter(pk=person_id).exists():
            AttendanceRecord.objects.filter(person_id=person_id, day=day).delete()
            return None
        last = max(visits, key=lambda visit: visit[1])
        record, _ = AttendanceRecord.objects.update_or_create(
            person_id=person_id,
            day=day,
            defaults={"first_seen": min(visit[0] for visit in visits), "last_seen": last[1], "camera_id": last[2]},
        )
    return record


def _present_row(record: AttendanceRecord) -> dict:
    return {
        "person_id": record.person_id,
        "name": record.person.name,
        "code": record.person.code,
        "first_seen": timezone.localtime(record.first_seen).isoformat(),
        "last_seen": timezone.localtime(record.last_seen).isoformat(),
        "camera": record.camera.name if record.camera else None,
    }


def people_expected(*, day: dt.date) -> QuerySet:
    """Who could have come that day: active people enrolled by its end (not those enrolled later)."""
    return Person.objects.filter(active=True, created_at__lt=site_day_bounds(day)[1]).order_by("name", "id")


def attendance_payload(*, day: dt.date, limit: int | None = None) -> dict:
    """{"day": iso date, "present": [{person_id, name, code, first_seen, last_seen, camera}],
    "absent": [{person_id, name, code}], "present_count", "absent_count"} of people_expected;
    camera is the last camera's name. With `limit`, each list holds at most that many (the
    dashboard folds the rest into its count)."""
    records = {
        record.person_id: record
        for record in AttendanceRecord.objects.filter(day=day, person__active=True).select_related("person", "camera")
    }
    present, absent = [], []
    for person in people_expected(day=day).only("id", "name", "code"):
        record = records.get(person.pk)
        if record is None:
            absent.append({"person_id": person.pk, "name": person.name, "code": person.code})
        else:
            present.append(_present_row(record))
    return {"day": day.isoformat(), "present": present[:limit], "absent": absent[:limit],
            "present_count": len(present), "absent_count": len(absent)}


DASHBOARD_LIST = 25  # names per list on the dashboard; the attendance page has them all


def attendance_today() -> dict:
    """Today's attendance as the dashboard shows it (its lists folded at DASHBOARD_LIST)."""
    return attendance_payload(day=site_date(), limit=DASHBOARD_LIST)


def attendance_push(*, day: dt.date) -> None:
    """Tell the dashboards, when `day` is today (the only day they show)."""
    if day == site_date():
        push(DASHBOARD_GROUP, {"type": "attendance.update", "attendance": attendance_today()})


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
