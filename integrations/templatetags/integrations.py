"""{% recent_alerts %}: the dashboard's alert list as the page opens, as `integration.event` payloads
that dashboard.js draws (then ws/dashboard/ adds to it); `event_names`: event types in words."""

from django import template

from integrations.models import Event
from integrations.presenters import event_json

register = template.Library()
DASHBOARD_ALERTS = 10


@register.inclusion_tag("integrations/_dashboard_alerts.html")
def recent_alerts() -> dict:
    alerts = Event.objects.filter(type=Event.ALERT).select_related("camera", "person").order_by("-created_at")
    return {"alerts": [event_json(alert) for alert in alerts[:DASHBOARD_ALERTS]], "length": DASHBOARD_ALERTS}


EVENT_WORDS = dict(Event.TYPES)


@register.filter
def event_names(types: list[str]) -> str:
    """A webhook's event types in words ("a visit opened; a camera went offline"), without the
    labels' bracketed details (the form shows them)."""
    words = [EVENT_WORDS.get(name, name).split(" (")[0] for name in types]
    return "; ".join(word[:1].lower() + word[1:] for word in words)
