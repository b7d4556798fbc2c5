"""The daily register, live: a member's day derived anew goes to the pages showing that group's
register (ws/groups/<id>/register/) as `register.rows` events (one per group), once the rows commit."""

import datetime as dt

from django.db import transaction

from attendance.models import RegisterDay
from attendance.register_presenters import register_rows_events
from faceapp.clock import site_date
from identity.services.realtime import push


def register_group(group_id: int) -> str:
    return f"register-{group_id}"


def register_rows_push(*, rows: list[RegisterDay], derived_at: dt.datetime) -> None:
    """Push the rows of today written at `derived_at` (new or changed: a row left as it was keeps
    its computed_at, so a scheduler pass over settled days sends nothing) once they commit. Only
    today's register is live: a past day derived again (a recomputation) pushes nothing."""
    today = site_date(derived_at)
    fresh = [row for row in rows if row.group_id is not None and row.computed_at == derived_at and row.day == today]
    if not fresh:
        return

    def send() -> None:
        for event in register_rows_events(rows=fresh):
            push(register_group(event["group_id"]), event)

    transaction.on_commit(send)
