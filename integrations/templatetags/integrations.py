"""{% recent_alerts %}: the dashboard's alert list as the page opens (then ws/dashboard/ adds to it)."""

from django import template

from integrations.models import Event

register = template.Library()
DASHBOARD_ALERTS = 10


@register.inclusion_tag("integrations/_dashboard_alerts.html")
def recent_alerts() -> dict:
    return {"alerts": Event.objects.filter(type=Event.ALERT).order_by("-created_at")[:DASHBOARD_ALERTS],
            "length": DASHBOARD_ALERTS}
