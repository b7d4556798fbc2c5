"""The one JSON shape of an event, for webhooks, the Redis stream, MQTT and the dashboard:

{"id": uuid, "type", "time": ISO 8601 in settings.TIME_ZONE, "camera": {"id", "name"} | null,
 "person": {"id", "name", "code"} | null, "provisional": "U-0042" | null, "score": float | null,
 "visit_id": int | null, "data": {...}}, plus "crop_url" (a short-lived signed URL) for a
destination that opted in and an event with a visit."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integrations.models import Event
from integrations.signing import crop_token


def crop_url(*, visit_id: int) -> str:
    return settings.FACEAPP_PUBLIC_URL + reverse("integrations-crop", args=[crop_token(visit_id=visit_id)])


def event_json(event: Event, *, with_crop: bool = False) -> dict:
    camera, person = event.camera, event.person
    payload = {
        "id": str(event.id),
        "type": event.type,
        "time": timezone.localtime(event.occurred_at).isoformat(),
        "camera": {"id": camera.pk, "name": camera.name} if camera else None,
        "person": {"id": person.pk, "name": person.name, "code": person.code} if person else None,
        "provisional": event.provisional or None,
        "score": None if event.score is None else round(float(event.score), 4),
        "visit_id": event.visit_id,
        "data": event.data,
    }
    if with_crop and event.visit_id is not None:
        payload["crop_url"] = crop_url(visit_id=event.visit_id)
    return payload


def dashboard_event(event: Event) -> dict:
    """`integration.event` on ws/dashboard/ (the page lists the alerts)."""
    return {"type": "integration.event", "event": event_json(event)}
