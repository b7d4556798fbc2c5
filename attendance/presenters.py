"""Attendance's web JSON: a day's lists (the page, the API, the dashboard), one person's row
(the dashboard's live `attendance.row` event) and a kiosk's greeting (`camera.message`). The
shapes are in README "Events (websockets)"."""

import datetime as dt

from django.utils import timezone

from attendance import rules
from attendance.models import AttendanceRecord
from attendance.selectors import day_counts, people_expected, records_of_day
from faceapp.clock import site_date
from identity.models import Person

DASHBOARD_LIST = 25  # names per list on the dashboard; the attendance page has them all


def present_row(record: AttendanceRecord) -> dict:
    """{person_id, name, code, first_seen, last_seen, camera}: camera is the last camera's name."""
    return {
        "person_id": record.person_id,
        "name": record.person.name,
        "code": record.person.code,
        "first_seen": timezone.localtime(record.first_seen).isoformat(),
        "last_seen": timezone.localtime(record.last_seen).isoformat(),
        "camera": record.camera.name if record.camera else None,
    }


def absent_row(person: Person) -> dict:
    return {"person_id": person.pk, "name": person.name, "code": person.code}


def attendance_payload(*, day: dt.date, limit: int | None = None) -> dict:
    """{"day": iso date, "present": [present_row], "absent": [absent_row], "present_count",
    "absent_count"} of people_expected. With `limit`, each list holds at most that many (the
    dashboard folds the rest into its count)."""
    records = records_of_day(day=day)
    present, absent = [], []
    for person in people_expected(day=day).only("id", "name", "code"):
        record = records.get(person.pk)
        if record is None:
            absent.append(absent_row(person))
        else:
            present.append(present_row(record))
    return {"day": day.isoformat(), "present": present[:limit], "absent": absent[:limit],
            "present_count": len(present), "absent_count": len(absent)}


def attendance_today() -> dict:
    """Today's attendance as the dashboard shows it (its lists folded at DASHBOARD_LIST)."""
    return attendance_payload(day=site_date(), limit=DASHBOARD_LIST)


def attendance_row(*, person_id: int, day: dt.date) -> dict:
    """One person's place in the day's lists, and the lists' counts: {"day", "person_id",
    "present": the present row, "absent": the absent row (one of the two is null; both are when
    they are not expected that day: gone, inactive, enrolled later), "present_count",
    "absent_count"}. A few queries whatever the number of people."""
    record = (AttendanceRecord.objects.filter(person_id=person_id, day=day, person__active=True)
              .select_related("person", "camera").first())
    person = None if record else people_expected(day=day).filter(pk=person_id).only("id", "name", "code").first()
    present_count, absent_count = day_counts(day=day)
    return {"day": day.isoformat(), "person_id": person_id,
            "present": present_row(record) if record else None,
            "absent": absent_row(person) if person else None,
            "present_count": present_count, "absent_count": absent_count}


KIOSK_STRANGER = "Not recognised, please see the office"


def kiosk_greeting(*, name: str | None, kind: str = "", at: dt.datetime | None = None, status: str = "",
                   minutes_late: int = 0, minutes_early: int = 0) -> dict:
    """What a kiosk shows (`camera.message`): a recognised person's name, IN or OUT, the time
    (site's clock) and their status; `name` None: a stranger. Name and status only, never a
    photo: anyone at the door reads it. README "Kiosk"."""
    if name is None:
        return {"type": "camera.message", "message": {"kind": "stranger", "text": KIOSK_STRANGER}}
    if kind == rules.OUT:
        said = f"left early by {minutes_early} min" if minutes_early else "see you tomorrow"
    else:
        said = f"late by {minutes_late} min" if status == rules.LATE and minutes_late else "on time"
    time = timezone.localtime(at, timezone.get_default_timezone()).strftime("%H:%M")
    return {"type": "camera.message", "message": {"kind": "greeting", "name": name, "direction": kind.upper(),
                                                  "time": time, "status": said}}
