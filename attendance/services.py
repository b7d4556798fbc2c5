"""Attendance writes: one record per (person, day), always rebuildable from the faces.

A face (match log) is "present evidence" for its *effective person* (identity.selectors.
effective_person_id: the decided person while unreviewed, else whom the reviewer settled on). A
visit spans its first and last sighting (`created_at`, `last_seen`: when the frames were taken,
not when the worker got to them); days are calendar days in the site's zone. A record's camera
is the camera of the last sighting.

Sightings widen records as they come (`attendance_mark`, from identity's visit events);
reviews, merges and deleted faces rebuild a (person, day) from the evidence
(`attendance_recompute`). Each change is pushed to the dashboards as that one person's row.
"""

import datetime as dt

from django.db import transaction

from attendance.models import AttendanceRecord
from attendance.presenters import attendance_row
from faceapp.clock import site_date, site_day_bounds
from identity.models import Person
from identity.selectors import evidence_logs
from identity.services.realtime import DASHBOARD_GROUP, push
from integrations.hooks import person_arrived


def _record_sighting(person_id: int, seen_at: dt.datetime, camera_id: int | None) -> bool:
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
            return True
        changed = []
        if seen_at < record.first_seen:
            record.first_seen = seen_at
            changed.append("first_seen")
        if seen_at > record.last_seen:
            record.last_seen, record.camera_id = seen_at, camera_id
            changed += ["last_seen", "camera"]
        if changed:
            record.save(update_fields=changed)
    return bool(changed)


def attendance_mark(*, person_ids: list[int], seen_at: dt.datetime, camera_id: int | None) -> bool:
    """Record a new sighting of each person; True when any record was created or moved, and
    then the dashboards get the rows that moved once it commits."""
    moved = [person_id for person_id in person_ids if _record_sighting(person_id, seen_at, camera_id)]
    attendance_rows_push(person_ids=moved, day=site_date(seen_at))
    return bool(moved)


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


def attendance_recompute_days(*, pairs: set[tuple[int, dt.date]]) -> None:
    """Rebuild each (person, day), then push the rows of today's to the dashboards."""
    for person_id, day in sorted(pairs):
        attendance_recompute(person_id=person_id, day=day)
    for day in {day for _, day in pairs}:
        attendance_rows_push(person_ids=sorted({person for person, on in pairs if on == day}), day=day)


def attendance_rows_push(*, person_ids: list[int], day: dt.date) -> None:
    """Tell the dashboards each person's row once it commits, when `day` is today (the only day they show)."""
    if not person_ids:
        return

    def send() -> None:
        if day != site_date():
            return
        for person_id in person_ids:
            push(DASHBOARD_GROUP, {"type": "attendance.row", "attendance": attendance_row(person_id=person_id, day=day)})

    transaction.on_commit(send)
