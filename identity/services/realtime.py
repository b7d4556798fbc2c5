"""Websocket pushes: channel group names and one helper to send an event to a group."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

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
