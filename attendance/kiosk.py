"""A kiosk (a tablet at the door, a webcam camera whose attendance role is kiosk) greets the
person its visit named, once the IN or OUT is recorded and their day derived
(attendance.register.visit_event_record): their name, the direction, the time and their status,
pushed to the camera's channel group, where only that camera's socket listens."""

import datetime as dt

from django.db import transaction
from django.db.models import Q

from attendance import rules
from attendance.models import RegisterDay
from attendance.presenters import kiosk_greeting
from faceapp.clock import site_date
from identity.models import Person
from identity.services.realtime import camera_group, push


def kiosk_greet(*, person_id: int, camera_id: int, kind: str, at: dt.datetime) -> None:
    """Push the greeting once it commits. Its status comes from the derived days the event
    counts for (a night shift's may be yesterday's): for an IN those it opened or the person is
    in now (the most minutes late among them), for an OUT those it closed (the most minutes early)."""
    name = Person.objects.filter(pk=person_id).values_list("name", flat=True).first()
    if name is None:
        return
    rows = RegisterDay.objects.filter(person_id=person_id, day__in=(site_date(at), site_date(at) - dt.timedelta(days=1)))
    if kind == rules.OUT:
        row = rows.filter(last_out=at).order_by("-minutes_early").first()
    else:
        row = rows.filter(Q(in_now=True) | Q(first_in=at)).order_by("-minutes_late").first()
    message = kiosk_greeting(name=name, kind=kind, at=at, status=row.status if row else "",
                             minutes_late=row.minutes_late if row else 0, minutes_early=row.minutes_early if row else 0)
    transaction.on_commit(lambda: push(camera_group(camera_id), message))
