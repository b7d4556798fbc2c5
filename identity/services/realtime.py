"""Websocket pushes (channel group names, one helper to send an event to a group) and the
shared Redis client."""

import functools
import logging

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

DASHBOARD_GROUP = "dashboard"


def person_enrolment_group(person_id: int) -> str:
    return f"person-{person_id}-enrolment"


def camera_group(camera_id: int) -> str:
    return f"camera-{camera_id}"


def push(group: str, event: dict) -> None:
    """Send `event` (its "type" names the consumer handler) to everyone in `group`.

    A push is a notification, not the record: the rows are already committed, so a
    channel-layer outage is logged and never undoes or fails the work.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # redis down or a full channel: pages catch up on reload
        logger.warning("could not push %s to %s", event.get("type"), group, exc_info=True)


@functools.lru_cache(maxsize=4)
def _redis_for(url: str, timeout: float) -> redis.Redis:
    # A frozen or half-open server raises redis.TimeoutError after `timeout`, never hangs a request.
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def redis_client() -> redis.Redis:
    """A shared client for settings.REDIS_URL (redis://, rediss:// or unix://), with the connect
    and read timeouts of FACEAPP_REDIS_TIMEOUT (a blocking read must wait less than that)."""
    return _redis_for(settings.REDIS_URL, settings.FACEAPP_REDIS_TIMEOUT)
