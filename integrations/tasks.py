"""Celery tasks of the integrations: webhook deliveries (queue FACEAPP_WEBHOOK_QUEUE), the
sweep that queues overdue ones again, the "not arrived by" check and the events' retention."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from integrations import alerts, webhooks
from integrations.models import Event


@shared_task
def webhook_deliver_task(delivery_id: int) -> None:
    delay = webhooks.delivery_attempt(delivery_id=delivery_id)
    webhooks.delivery_next(delivery_id=delivery_id, delay=delay)


@shared_task
def webhooks_due_task() -> list[int]:
    return webhooks.deliveries_due_queue()


@shared_task
def alerts_not_arrived_task() -> int:
    return len(alerts.alerts_not_arrived_check())


@shared_task
def events_purge_task() -> int:
    """Events (and their deliveries) older than FACEAPP_KEEP_EVENTS_DAYS; 0 keeps them."""
    days = settings.FACEAPP_KEEP_EVENTS_DAYS
    if not days:
        return 0
    deleted, _ = Event.objects.filter(created_at__lt=timezone.now() - dt.timedelta(days=days)).delete()
    return deleted
