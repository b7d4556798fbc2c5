"""The one publisher of events: `event_publish` stores an Event row and, once the caller's
transaction commits, (a) queues webhook deliveries for the matching destinations, (b) checks
the alert rules, (c) pushes `integration.event` to the dashboard group and (d) appends the
event to the Redis stream `faceapp:events` (fields "type" and "event": the event's JSON;
MAXLEN ~ FACEAPP_EVENTS_STREAM_MAX), which the MQTT bridge reads.

The caller is often the live camera path: publishing costs it one INSERT, then the commit
work above (a few small queries, one Redis write, one push); deliveries run in Celery. A
broker, Redis or receiver failure is logged here, never raised into the caller.
"""

import datetime as dt
import json
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from faceapp.redis_client import redis_client
from identity.models import Camera, Person
from identity.services.realtime import DASHBOARD_GROUP, push
from integrations.models import Event
from integrations.presenters import dashboard_event, event_json

logger = logging.getLogger(__name__)

STREAM = "faceapp:events"


def _foreign_key(value, model) -> dict:
    """A row (kept on the event: no query to present it) or a bare id."""
    name = model._meta.model_name
    if value is None or isinstance(value, model):
        return {name: value}
    return {f"{name}_id": int(value)}


def event_publish(*, type: str, occurred_at: dt.datetime, camera: Camera | int | None = None,
                  person: Person | int | None = None, provisional: str | None = None, score: float | None = None,
                  visit_id: int | None = None, data: dict | None = None) -> Event:
    """Store one event (a stable UUID, its type and time) and tell everyone once it commits."""
    if type not in Event.TYPE_NAMES:
        raise ValueError(f"unknown event type {type!r}")
    event = Event.objects.create(
        type=type, occurred_at=occurred_at, provisional=provisional or "", score=score, visit_id=visit_id,
        data=data or {}, **_foreign_key(camera, Camera), **_foreign_key(person, Person),
    )
    transaction.on_commit(lambda: event_dispatch(event))
    return event


def push_alert(event: Event) -> None:
    """Alerts go to the dashboards, which list them; other events are for other systems (every
    dashboard socket would get a visit's events twice over)."""
    if event.type == Event.ALERT:
        push(DASHBOARD_GROUP, dashboard_event(event))


def event_dispatch(event: Event) -> None:
    """The commit work of one event; each step on its own, so one failing skips no other."""
    from integrations.alerts import alerts_evaluate  # alerts and webhooks import the events
    from integrations.webhooks import deliveries_queue  # as above

    payload = event_json(event)
    for step, work in (
        ("queue its webhook deliveries", lambda: deliveries_queue(event=event)),
        ("check the alert rules", lambda: alerts_evaluate(event=event)),
        ("push an alert to the dashboards", lambda: push_alert(event)),
        ("add it to the stream", lambda: stream_add(payload=payload)),
    ):
        try:
            work()
        except Exception:  # the broker, Redis or the database is away: the event row stays
            logger.warning("event %s (%s): could not %s", event.id, event.type, step, exc_info=True)


def stream_add(*, payload: dict) -> None:
    redis_client().xadd(
        STREAM, {"type": payload["type"], "event": json.dumps(payload)},
        maxlen=settings.FACEAPP_EVENTS_STREAM_MAX, approximate=True,
    )


def events_forget(*, person_id: int | None = None, provisional: list[str] = (), visit_ids: list[int] = ()) -> int:
    """Erasure: delete the events naming a person (or strangers, or visits) with their
    deliveries, and, once that commits, their entries in the stream. Deleted, not blanked:
    an event is about someone; without its person, label and visit it tells nothing."""
    match = Q(provisional__in=[label for label in provisional if label]) | Q(visit_id__in=list(visit_ids))
    if person_id is not None:
        match |= Q(person_id=person_id)
    provisional = [label for label in provisional if label]
    events = Event.objects.filter(match)
    ids = {str(pk) for pk in events.values_list("pk", flat=True)}
    count, _ = events.delete()
    transaction.on_commit(lambda: stream_forget(
        event_ids=ids, person_id=person_id, provisional=set(provisional), visit_ids=set(visit_ids)))
    return count


def stream_forget(*, event_ids: set[str], person_id: int | None, provisional: set[str], visit_ids: set[int]) -> int:
    """XDEL the stream entries of those events, or naming that person, stranger or visit."""
    client, doomed = redis_client(), []
    for entry_id, fields in client.xrange(STREAM):
        event = json.loads(fields.get(b"event") or b"{}")
        person = event.get("person") or {}
        if (event.get("id") in event_ids or (person_id is not None and person.get("id") == person_id)
                or event.get("provisional") in provisional or event.get("visit_id") in visit_ids):
            doomed.append(entry_id)
    return client.xdel(STREAM, *doomed) if doomed else 0
