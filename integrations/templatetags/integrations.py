"""{% recent_alerts %}: the dashboard's alert list as the page opens, as `integration.event` payloads
that dashboard.js draws (then ws/dashboard/ adds to it)."""

from django import template

from integrations.models import Event
from integrations.presenters import event_json

register = template.Library()
DASHBOARD_ALERTS = 10


@register.inclusion_tag("integrations/_dashboard_alerts.html")
def recent_alerts() -> dict:
    alerts = Event.objects.filter(type=Event.ALERT).select_related("camera", "person").order_by("-created_at")
    return {"alerts": [event_json(alert) for alert in alerts[:DASHBOARD_ALERTS]], "length": DASHBOARD_ALERTS}
