"""Webhook deliveries: which destinations an event goes to, one Delivery row per event and
destination, and each attempt: a signed JSON POST (integrations.outbound), retried with
doubling delays until delivered or given up. At least once: a receiver de-duplicates by the
event id. A destination whose every delivery failed for FACEAPP_WEBHOOK_PAUSE_AFTER seconds
is paused with the reason; resuming sends what waited.

Headers of each POST: X-Faceapp-Event-Id, X-Faceapp-Event-Type, X-Faceapp-Delivery,
X-Faceapp-Attempt, X-Faceapp-Timestamp (Unix seconds) and X-Faceapp-Signature
("sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" with the destination's secret).
"""

import datetime as dt
import json
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from faceapp import metrics
from integrations import outbound
from integrations.models import Delivery, Destination, Event, new_secret
from integrations.presenters import event_json
from integrations.signing import webhook_signature

logger = logging.getLogger(__name__)

# Which filters an event type answers to: a camera filter does not drop an enrolment, nor an
# identity filter a camera going offline.
FACE_TYPES = (Event.VISIT_OPENED, Event.VISIT_NAMED, Event.VISIT_ENDED, Event.STRANGER_SEEN, Event.PERSON_ARRIVED)
CAMERA_TYPES = (*FACE_TYPES, Event.CAMERA_OFFLINE, Event.CAMERA_ONLINE)
PERSON_TYPES = (*FACE_TYPES, Event.ENROLMENT_FINISHED, Event.ATTENDANCE_ABSENT, Event.ATTENDANCE_LATE)
SUBSCRIBABLE = [name for name in Event.TYPE_NAMES if name not in (Event.ALERT, Event.TEST)]
SWEEP_GRACE_SECONDS = 60  # a delivery this overdue lost its queued task (or waits longer than a countdown): queue it
# Longer waits are left to the sweep: a countdown past the broker's visibility timeout is delivered again.
COUNTDOWN_MAX_SECONDS = 60


def destination_matches(*, destination: Destination, event: Event, camera_ids: set, person_ids: set) -> bool:
    if event.type not in destination.event_types:
        return False
    if camera_ids and event.type in CAMERA_TYPES and event.camera_id not in camera_ids:
        return False
    if person_ids and event.type in PERSON_TYPES and event.person_id not in person_ids:
        return False
    if destination.identity != Destination.ANY and event.type in FACE_TYPES:
        return (event.person_id is not None) == (destination.identity == Destination.KNOWN)
    return True


def _filters(model_field, destination_ids: list[int]) -> dict[int, set]:
    through = model_field.through
    column = model_field.field.m2m_reverse_field_name() + "_id"
    found: dict[int, set] = {pk: set() for pk in destination_ids}
    for destination_id, other_id in through.objects.filter(destination_id__in=destination_ids).values_list(
            "destination_id", column):
        found[destination_id].add(other_id)
    return found


def destinations_for(*, event: Event) -> list[Destination]:
    """Alerts go to their rule's chosen destinations; test events only where their button says."""
    if event.type == Event.ALERT:
        return list(Destination.objects.filter(rules__pk=event.data.get("rule", {}).get("id"), active=True))
    if event.type == Event.TEST:
        return []
    candidates = [d for d in Destination.objects.filter(active=True) if event.type in d.event_types]
    if not candidates:
        return []
    ids = [d.pk for d in candidates]
    cameras, people = _filters(Destination.cameras, ids), _filters(Destination.people, ids)
    return [d for d in candidates
            if destination_matches(destination=d, event=event, camera_ids=cameras[d.pk], person_ids=people[d.pk])]


def deliveries_queue(*, event: Event, destinations: list[Destination] | None = None) -> list[Delivery]:
    """One pending Delivery per destination, each queued to a worker (a broker outage leaves it
    pending: the sweep queues it later). A paused destination's deliveries wait for its resume."""
    destinations = destinations_for(event=event) if destinations is None else destinations
    if not destinations:
        return []
    deliveries = Delivery.objects.bulk_create([Delivery(destination=d, event=event) for d in destinations])
    for delivery, destination in zip(deliveries, destinations):
        if not destination.is_paused:
            _enqueue(delivery.pk)
    return deliveries


def _enqueue(delivery_id: int, countdown: float | None = None) -> bool:
    from integrations.tasks import webhook_deliver_task  # tasks import the services

    try:
        webhook_deliver_task.apply_async((delivery_id,), countdown=countdown)
    except Exception as exc:  # the broker is away: the delivery stays pending for the sweep
        logger.error("could not queue webhook delivery %s: %s", delivery_id, exc)
        return False
    return True


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling, capped."""
    return min(settings.FACEAPP_WEBHOOK_RETRY_SECONDS * 2 ** (attempts - 1), settings.FACEAPP_WEBHOOK_RETRY_MAX_SECONDS)


def delivery_request(delivery: Delivery, *, timestamp: int) -> tuple[bytes, dict]:
    """The body and headers of one attempt (signed afresh: receivers may refuse old timestamps)."""
    destination, event = delivery.destination, delivery.event
    body = json.dumps(event_json(event, with_crop=destination.include_crops), separators=(",", ":")).encode()
    headers = {
        "X-Faceapp-Event-Id": str(event.id), "X-Faceapp-Event-Type": event.type,
        "X-Faceapp-Delivery": str(delivery.pk), "X-Faceapp-Attempt": str(delivery.attempts + 1),
        "X-Faceapp-Timestamp": str(timestamp),
        "X-Faceapp-Signature": webhook_signature(secret=destination.secret, timestamp=timestamp, body=body),
    }
    return body, headers


def _claim(delivery_id: int) -> bool:
    """Take the delivery for one attempt: a copy of its task, or the sweep, finds it taken."""
    now = timezone.now()
    hold = dt.timedelta(seconds=settings.FACEAPP_WEBHOOK_CONNECT_TIMEOUT + settings.FACEAPP_WEBHOOK_READ_TIMEOUT + 30)
    return bool(Delivery.objects.filter(
        pk=delivery_id, status=Delivery.PENDING, next_attempt_at__lte=now,
        destination__active=True, destination__paused_at__isnull=True,
    ).update(next_attempt_at=now + hold))


def delivery_attempt(*, delivery_id: int) -> float | None:
    """One attempt of a delivery that is due; seconds until its next attempt, or None when no
    other is due (delivered, given up, not due, paused, or taken by another worker)."""
    if not _claim(delivery_id):
        return None
    delivery = Delivery.objects.select_related("destination", "event__camera", "event__person").get(pk=delivery_id)
    body, headers = delivery_request(delivery, timestamp=int(time.time()))
    answer = outbound.post(
        url=delivery.destination.url, body=body, headers=headers, allow_private=delivery.destination.allow_private,
        connect_timeout=settings.FACEAPP_WEBHOOK_CONNECT_TIMEOUT, read_timeout=settings.FACEAPP_WEBHOOK_READ_TIMEOUT,
    )
    return _attempt_record(delivery, answer)


def _attempt_record(delivery: Delivery, answer: outbound.Answer) -> float | None:
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "last_attempt_at": now, "last_status_code": answer.status_code,
              "last_error": answer.error, "latency_ms": answer.latency_ms}
    delay = None
    if not answer.error:
        fields.update(status=Delivery.DELIVERED, delivered_at=now)
    elif not answer.retry or attempts >= settings.FACEAPP_WEBHOOK_MAX_ATTEMPTS:
        fields.update(status=Delivery.FAILED)
    else:
        delay = retry_delay(attempts)
        fields.update(next_attempt_at=now + dt.timedelta(seconds=delay))
    metrics.count("faceapp_webhook_attempts_total", outcome=fields.get("status", "retrying"))
    # Two workers answering for one destination at once: the row lock keeps every failure counted.
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
        _destination_health(delivery.destination_id, error=answer.error, now=now)
    return delay


def _destination_health(destination_id: int, *, error: str, now: dt.datetime) -> None:
    destination = Destination.objects.select_for_update().get(pk=destination_id)
    if not error:
        destination.failing_since, destination.last_success_at = None, now
    elif destination.failing_since is None:
        destination.failing_since = now
    elif destination.paused_at is None and (
            (now - destination.failing_since).total_seconds() >= settings.FACEAPP_WEBHOOK_PAUSE_AFTER):
        destination.paused_at = now
        destination.pause_reason = (
            f"Every delivery failed for {_duration(now - destination.failing_since)} "
            f"(since {timezone.localtime(destination.failing_since):%Y-%m-%d %H:%M:%S}). Last error: {error}"
        )[:2000]
    destination.save(update_fields=["failing_since", "last_success_at", "paused_at", "pause_reason"])


def _duration(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def deliveries_due_queue() -> list[int]:
    """Queue again the pending deliveries overdue by SWEEP_GRACE_SECONDS (the beat task)."""
    since = timezone.now() - dt.timedelta(seconds=SWEEP_GRACE_SECONDS)
    due = list(Delivery.objects.filter(
        status=Delivery.PENDING, next_attempt_at__lte=since, destination__active=True,
        destination__paused_at__isnull=True,
    ).order_by("next_attempt_at").values_list("pk", flat=True)[:1000])
    return [delivery_id for delivery_id in due if _enqueue(delivery_id)]


def delivery_next(*, delivery_id: int, delay: float | None) -> None:
    """After an attempt: a short wait is a countdown task; a long one is left to the sweep."""
    if delay is not None and delay <= COUNTDOWN_MAX_SECONDS:
        _enqueue(delivery_id, countdown=delay)


def destination_test_send(*, destination: Destination) -> Delivery:
    """A `test` event for this destination only (nothing else hears of it)."""
    event = Event.objects.create(type=Event.TEST, occurred_at=timezone.now(),
                                 data={"message": "A test event from faceapp", "destination": destination.name})
    return deliveries_queue(event=event, destinations=[destination])[0]


def destination_resume(*, destination: Destination) -> int:
    """Unpause: failures counted afresh, and what waited is sent now; how many deliveries."""
    # A worker recording a failure meanwhile must not pause it again with the old count.
    with transaction.atomic():
        Destination.objects.select_for_update().filter(pk=destination.pk).update(
            paused_at=None, pause_reason="", failing_since=None)
        waiting = list(destination.deliveries.filter(status=Delivery.PENDING).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=waiting).update(next_attempt_at=timezone.now())
    for delivery_id in waiting:
        _enqueue(delivery_id)
    destination.refresh_from_db()
    return len(waiting)


def destinations_only_at(*, camera) -> list[Destination]:
    """The webhooks that send only this camera's events (their camera filter is this one camera)."""
    return list(Destination.objects.annotate(camera_count=Count("cameras")).filter(camera_count=1, cameras=camera))


def destinations_camera_deleting(*, camera) -> list[str]:
    """In a camera's deletion: a webhook that sent only its events would send every camera's once its
    filter is empty, so it is paused, saying why. Returns their names."""
    only = destinations_only_at(camera=camera)
    reason = (f"Its only camera, {camera.name}, was deleted: resumed as it is, it would send the events of every "
              f"camera. Choose its cameras, then resume it.")
    Destination.objects.filter(pk__in=[d.pk for d in only]).update(paused_at=timezone.now(), pause_reason=reason)
    return [destination.name for destination in only]


def destination_secret_rotate(*, destination: Destination) -> str:
    destination.secret = new_secret()
    destination.save(update_fields=["secret"])
    return destination.secret
