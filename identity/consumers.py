"""Websocket consumers: they only move data. Access is checked on connect (a refused socket
is accepted then closed with 4403, so the page can tell "no access" from "network down").

A Redis restart must not silence an open page: the channel layer's receive raises while Redis
is away (which would end the socket), and a Redis without persistence comes back having
forgotten every group member. So the consumers wait the outage out, then join their groups
again, and also re-join every GROUP_REFRESH_SECONDS (well within the layer's one-minute
group expiry, which drops a member whose socket never left). A closing socket leaves its groups
even when its consumer is cancelled. The browser reconnects with backoff if the socket ends anyway.
"""

import asyncio
import logging
import secrets
import weakref

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from redis.exceptions import RedisError

from identity.models import Camera
from identity.roles import OPERATOR, VIEWER, has_role
from identity.services.cameras import camera_frame_receive
from identity.services.realtime import DASHBOARD_GROUP, camera_group, person_enrolment_group
from identity.vision import ImageError

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
GROUP_REFRESH_SECONDS = 15.0
RECONNECT_DELAY_SECONDS = 1.0
# What a Redis outage raises: redis-py's errors, or the socket's own OSError.
LAYER_ERRORS = (RedisError, OSError)
# redis-py's pool refuses a process more than 100 connections at once ("Too many connections"):
# group calls of all this process's sockets take turns, so 300 sockets closing at once all leave.
GROUP_CALLS_AT_ONCE = 32
LEAVE_TRIES = 3
_group_call_slots: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()
_leaving: set[asyncio.Task] = set()  # asyncio keeps only weak references to running tasks


def _group_call_slot() -> asyncio.Semaphore:
    """This event loop's semaphore (one belongs to one loop; the tests run several)."""
    loop = asyncio.get_running_loop()
    if loop not in _group_call_slots:
        _group_call_slots[loop] = asyncio.Semaphore(GROUP_CALLS_AT_ONCE)
    return _group_call_slots[loop]


@database_sync_to_async
def _user_has_role(user, role: str) -> bool:
    return has_role(user, role)


@database_sync_to_async
def _camera_for(user, camera_id: int, token: str) -> Camera | None:
    """The camera, if this operator (or the holder of this camera's token) may stream to it."""
    camera = Camera.objects.filter(pk=camera_id, active=True).first()
    if camera is None:
        return None
    if token and secrets.compare_digest(token, camera.token):
        return camera
    return camera if has_role(user, OPERATOR) else None


def _query_param(scope, name: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name)
    return values[0] if values else ""


class _GroupConsumer(AsyncJsonWebsocketConsumer):
    """Joins `self.group_names` once allowed, stays joined across Redis restarts; handlers
    relay events as they are."""

    group_names: list[str] = []
    group_refresh_seconds: float = GROUP_REFRESH_SECONDS
    _rejoining: asyncio.Task | None = None
    _left = False

    # AsyncConsumer.__call__ stores the layer's receive here, then reads it back to wait on:
    # what it gets is the version that waits out a Redis outage instead of ending the socket.
    @property
    def channel_receive(self):
        return self._channel_receive_through_outages

    @channel_receive.setter
    def channel_receive(self, layer_receive) -> None:
        self._layer_receive = layer_receive

    async def _channel_receive_through_outages(self) -> dict:
        while True:
            try:
                return await self._layer_receive()
            except LAYER_ERRORS as exc:
                logger.warning("channel layer unreachable (%s); the socket waits for it", exc)
            await asyncio.sleep(RECONNECT_DELAY_SECONDS)
            await self._groups_add()  # a restarted Redis may have forgotten us

    async def _group_call(self, method: str, group: str) -> None:
        async with _group_call_slot():
            await getattr(self.channel_layer, method)(group, self.channel_name)

    async def _groups_add(self) -> None:
        try:
            for group in self.group_names:
                if self._left:
                    return  # a closed socket never joins again (its ZADD would outlive its ZREM)
                await self._group_call("group_add", group)
        except LAYER_ERRORS:
            pass  # still away: the next try comes soon

    async def _keep_joined(self) -> None:
        while True:
            await asyncio.sleep(self.group_refresh_seconds)
            await self._groups_add()

    async def refuse(self) -> None:
        await self.accept()
        await self.close(code=FORBIDDEN)

    async def join(self, group_names: list[str]) -> None:
        self.group_names = group_names
        for group in group_names:
            await self._group_call("group_add", group)
        await self.accept()
        self._rejoining = asyncio.ensure_future(self._keep_joined())

    async def disconnect(self, code) -> None:
        self._left = True  # from here on neither the refresher nor the outage loop joins again
        if self._rejoining is not None:
            self._rejoining.cancel()
        # Shielded: a server that cancels the consumer of a closed socket (Daphne's close
        # timeout, under load) does not cancel its leaving.
        leaving = asyncio.ensure_future(self._groups_leave())
        _leaving.add(leaving)
        leaving.add_done_callback(_leaving.discard)
        await asyncio.shield(leaving)

    async def _groups_leave(self) -> None:
        for group in self.group_names:
            for attempt in range(1, LEAVE_TRIES + 1):
                try:
                    await self._group_call("group_discard", group)
                    break
                except LAYER_ERRORS as exc:
                    if attempt == LEAVE_TRIES:  # the layer's group_expiry drops it within a minute
                        logger.warning("could not leave %s (%s): it expires from the group", group, exc)
                    else:
                        await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def receive_json(self, content, **kwargs) -> None:
        pass  # server → client only

    async def recognition_result(self, event: dict) -> None:
        await self.send_json(event)

    async def attendance_update(self, event: dict) -> None:
        await self.send_json(event)

    async def enrolment_sample(self, event: dict) -> None:
        await self.send_json(event)

    async def camera_overlay(self, event: dict) -> None:
        await self.send_json(event)

    async def visit_update(self, event: dict) -> None:
        await self.send_json(event)

    async def camera_status(self, event: dict) -> None:
        await self.send_json(event)

    async def integration_event(self, event: dict) -> None:  # integrations.events: the dashboard lists alerts
        await self.send_json(event)


class DashboardConsumer(_GroupConsumer):
    """ws/dashboard/ (viewer+): recognition results, attendance, enrolment progress."""

    async def connect(self) -> None:
        if not await _user_has_role(self.scope.get("user"), VIEWER):
            return await self.refuse()
        await self.join([DASHBOARD_GROUP])


class EnrolmentConsumer(_GroupConsumer):
    """ws/people/<person_id>/enrolment/ (operator+): that person's samples as they are processed."""

    async def connect(self) -> None:
        if not await _user_has_role(self.scope.get("user"), OPERATOR):
            return await self.refuse()
        await self.join([person_enrolment_group(self.scope["url_route"]["kwargs"]["person_id"])])


class CameraConsumer(_GroupConsumer):
    """ws/cameras/<camera_id>/ (operator+, or ?token=<that camera's token>): binary messages
    are JPEG frames, acked with camera.frame; that camera's overlays and visits come back."""

    camera: Camera | None = None

    async def connect(self) -> None:
        camera_id = self.scope["url_route"]["kwargs"]["camera_id"]
        self.camera = await _camera_for(self.scope.get("user"), camera_id, _query_param(self.scope, "token"))
        if self.camera is None:
            return await self.refuse()
        await self.join([camera_group(self.camera.pk)])

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if bytes_data is None:
            return  # text messages carry nothing for the server
        if len(bytes_data) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return await self.send_json({"type": "camera.frame", "status": "rejected", "error": "frame too large"})
        try:
            status = await database_sync_to_async(camera_frame_receive)(camera=self.camera, jpeg=bytes_data)
        except ImageError as exc:
            return await self.send_json({"type": "camera.frame", "status": "rejected", "error": str(exc)})
        await self.send_json({"type": "camera.frame", "status": status})
