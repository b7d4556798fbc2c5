"""A camera track's sighting recorded off the live worker's frame loop (queued by attendance.receivers).
The scheduler's part of the register: days the clock decides (absent once a group's absent
time passes, a forgotten OUT closed once the day's window ends) are derived every minute; the
mail that is due (absence notices to contacts, each group's daily digest) is sent every minute.
A roll call's photo is read (its faces found and named) by a worker; one still unread after
FACEAPP_REQUEUE_STALE_MINUTES is queued again every minute."""

import datetime as dt

from celery import shared_task
from django.conf import settings

from attendance.digest import digests_due
from attendance.notices import contact_notices_send
from attendance.register import register_due, sighting_holds, sighting_record
from attendance.rollcall import roll_call_read, roll_calls_requeue_stale


@shared_task(name="attendance.sighting_record")
def sighting_record_task(person_id: int, seen_at: str, camera_id: int | None, log_id: int, end: bool) -> bool:
    """Record the sighting unless it no longer stands (moved by a review, or erased, meanwhile)."""
    at = dt.datetime.fromisoformat(seen_at)
    if not sighting_holds(person_id=person_id, log_id=log_id, seen_at=at):
        return False
    sighting_record(person_id=person_id, seen_at=at, camera_id=camera_id, log_id=log_id, end=end)
    return True


@shared_task(name="attendance.register_due")
def register_due_task() -> int:
    return register_due()


@shared_task(name="attendance.notices_due")
def notices_due_task() -> int:
    return contact_notices_send() + digests_due()


@shared_task(name="attendance.roll_call_read")
def roll_call_read_task(roll_call_id: int) -> None:
    roll_call_read(roll_call_id=roll_call_id)


@shared_task(name="attendance.roll_calls_requeue_stale")
def roll_calls_requeue_stale_task() -> list[int]:
    return roll_calls_requeue_stale(older_than=dt.timedelta(minutes=settings.FACEAPP_REQUEUE_STALE_MINUTES))
