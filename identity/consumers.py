"""Websocket consumers: they only move data. Access is checked on connect (a refused socket
is accepted then closed with 4403, so the page can tell "no access" from "network down"), and
again on every periodic re-join (the session must still exist, its user be active and keep the
role) and, for cameras, on every frame: a deactivated or re-keyed camera, a logged-out,
deactivated or demoted user loses an open socket within one frame or one re-join period.
A camera device sends its token in an `Authorization: Bearer <token>` header or as its first
message `{"type": "auth", "token": "..."}`; never in the URL, where proxies log it.

A Redis restart must not silence an open page: the channel layer (faceapp/channel_layer.py)
waits an outage out and joins the socket's groups again. The consumers also re-join every
GROUP_REFRESH_SECONDS (well within the layer's one-minute group expiry, which drops a member
whose socket never left). A closing socket leaves its groups
even when its consumer is cancelled. The browser reconnects with backoff if the socket ends anyway.

A page that shows live pictures sends `{"type": "pictures", "watch": true}` (false when it is
hidden): while its user may see faces (identity.views.access.faces_visible, the media's rule), its
socket marks its camera, or every camera for the dashboard, watched (identity.services.live_pictures),
and the live worker keeps pictures for the overlays. Nobody watching: no picture is made.

A page's socket may ask `?after=<replay id>` (identity.services.realtime: the position the page
was rendered at, or the last event it got): once joined, the consumer sends what its groups
logged after it through the same handlers, a viewer only what was logged inside their window
(identity.views.access.visible_since), then drops the live copies of events it replayed.
"""

import asyncio
import json
import logging

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from faceapp.channel_layer import LAYER_ERRORS, RECONNECT_DELAY_SECONDS
from identity.models import Camera
from identity.roles import OPERATOR, VIEWER
from identity.services.cameras import camera_frame_receive
from identity.services.live_pictures import WATCH_REFRESH_SECONDS, pictures_watch
from identity.services.realtime import (
    DASHBOARD_GROUP,
    REPLAY_ID,
    camera_group,
    person_enrolment_group,
    replay_id_key,
    replay_since,
)
from identity.socket_access import (
    bearer_token,
    camera_by_token,
    camera_for_operator,
    camera_still_takes,
    query_has,
    query_value,
    session_still_has_role,
    user_has_role,
    user_sees_faces_now,
    visible_since_ms,
)
from identity.vision import ImageError
from imports.presenters import import_group

logger = logging.getLogger(__name__)

FORBIDDEN = 4403
GROUP_REFRESH_SECONDS = 15.0
AUTH_MESSAGE_SECONDS = 10.0  # a token-holding device must say who it is this soon after connecting
LEAVE_TRIES = 3
_leaving: set[asyncio.Task] = set()  # asyncio keeps only weak references to running tasks


def _json_or_none(text: str | None):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


class _GroupConsumer(AsyncJsonWebsocketConsumer):
    """Joins its groups (groups_to_join) once the user has `role`, stays joined across Redis
    restarts; handlers relay events as they are."""

    group_names: list[str] = []
    group_refresh_seconds: float = GROUP_REFRESH_SECONDS
    role: str = VIEWER
    _rejoining: asyncio.Task | None = None
    _left = False
    _replayed_to: tuple[int, int] | None = None  # the last replayed event: its live copy is dropped
    shows_pictures = False  # a page of live pictures (the dashboard, a camera's page) may ask for them
    _watching: asyncio.Task | None = None  # marks live pictures watched while the page asks for them

    async def _groups_add(self) -> None:
        try:
            for group in self.group_names:
                if self._left:
                    return  # a closed socket never joins again (its ZADD would outlive its ZREM)
                await self.channel_layer.group_add(group, self.channel_name)
        except LAYER_ERRORS:
            pass  # still away: the next try comes soon

    async def _keep_joined(self) -> None:
        while True:
            await asyncio.sleep(self.group_refresh_seconds)
            if not await self.still_allowed():
                return await self.close(code=FORBIDDEN)
            await self._groups_add()

    async def still_allowed(self) -> bool:
        """Checked on each re-join: the session still holds the role."""
        return await session_still_has_role(self.scope, self.role)

    def groups_to_join(self) -> list[str]:
        """The groups a user with `role` joins (the URL's ids in self.scope["url_route"])."""
        raise NotImplementedError

    async def connect(self) -> None:
        if not await user_has_role(self.scope.get("user"), self.role):
            return await self.refuse()
        await self.join(self.groups_to_join())

    async def refuse(self) -> None:
        await self.accept()
        await self.close(code=FORBIDDEN)

    async def join(self, group_names: list[str]) -> None:
        self.group_names = group_names
        for group in group_names:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self._replay()
        self._rejoining = asyncio.ensure_future(self._keep_joined())

    async def _replay(self) -> None:
        """What the groups logged after `?after=` (none without it), oldest first. Live events
        wait meanwhile: the consumer dispatches one message at a time."""
        after = query_value(self.scope, "after")
        if not REPLAY_ID.fullmatch(after):
            return
        since_ms = await visible_since_ms(self.scope.get("user"))
        for group in self.group_names:
            try:
                entries = await sync_to_async(replay_since, thread_sensitive=False)(
                    group=group, after=after, since_ms=since_ms)
            except LAYER_ERRORS:
                continue  # Redis away: the page has what it rendered, live events follow
            for replay_id, event in entries:
                await self.dispatch({**event, "replay_id": replay_id})
                self._replayed_to = max(self._replayed_to or (0, 0), replay_id_key(replay_id))

    async def dispatch(self, message) -> None:
        replay_id = message.get("replay_id")
        if self._replayed_to is not None and isinstance(replay_id, str) and replay_id_key(replay_id) <= self._replayed_to:
            return  # sent already, replayed
        await super().dispatch(message)

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.group_names and not self._left:
                self._leave()  # cancelled before its disconnect ran (a server's close timeout, under load)

    def pictures_camera(self) -> int | None:
        """The camera whose live pictures this socket's page shows; None: every camera."""
        return None

    async def pictures_asked(self, message) -> None:
        """`{"type": "pictures", "watch": bool}`: the page shows live pictures now, or stopped."""
        if not self.shows_pictures or not isinstance(message, dict) or message.get("type") != "pictures":
            return
        if self._watching is not None:
            self._watching.cancel()
            self._watching = None
        if message.get("watch") is True and await self.may_watch_pictures():
            self._watching = asyncio.ensure_future(self._keep_watching(self.pictures_camera()))

    async def may_watch_pictures(self) -> bool:
        return await user_sees_faces_now(self.scope.get("user"))

    async def _keep_watching(self, camera_id: int | None) -> None:
        while not self._left:
            await sync_to_async(pictures_watch, thread_sensitive=False)(camera_id=camera_id)
            await asyncio.sleep(WATCH_REFRESH_SECONDS)

    async def disconnect(self, code) -> None:
        # Shielded: a server that cancels the consumer of a closed socket (Daphne's close
        # timeout, under load) does not cancel its leaving.
        await asyncio.shield(self._leave())

    def _leave(self) -> asyncio.Future:
        self._left = True  # from here on neither the refresher nor the outage loop joins again
        if self._rejoining is not None:
            self._rejoining.cancel()
        if self._watching is not None:
            self._watching.cancel()
        leaving = asyncio.ensure_future(self._groups_leave())
        _leaving.add(leaving)
        leaving.add_done_callback(_leaving.discard)
        return leaving

    async def _groups_leave(self) -> None:
        for group in self.group_names:
            for attempt in range(1, LEAVE_TRIES + 1):
                try:
                    await self.channel_layer.group_discard(group, self.channel_name)
                    break
                except LAYER_ERRORS as exc:
                    if attempt == LEAVE_TRIES:  # the layer's group_expiry drops it within a minute
                        logger.warning("could not leave %s (%s): it expires from the group", group, exc)
                    else:
                        await asyncio.sleep(RECONNECT_DELAY_SECONDS)

    async def receive_json(self, content, **kwargs) -> None:
        await self.pictures_asked(content)  # all else is server → client only

    async def recognition_result(self, event: dict) -> None:
        await self.send_json(event)

    async def attendance_row(self, event: dict) -> None:  # attendance.services: one person's row of today
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

    role = VIEWER
    shows_pictures = True

    def groups_to_join(self) -> list[str]:
        return [DASHBOARD_GROUP]


class EnrolmentConsumer(_GroupConsumer):
    """ws/people/<person_id>/enrolment/ (operator+): that person's samples as they are processed."""

    role = OPERATOR

    def groups_to_join(self) -> list[str]:
        return [person_enrolment_group(self.scope["url_route"]["kwargs"]["person_id"])]


class CameraConsumer(_GroupConsumer):
    """ws/cameras/<camera_id>/ (operator+ by session, or a device with that camera's token in an
    `Authorization: Bearer` header or a first `{"type": "auth", "token": ...}` message): binary
    messages are JPEG frames, acked with camera.frame; that camera's overlays, visits and
    camera.message (e.g. a kiosk's greeting) come back."""

    role = OPERATOR
    shows_pictures = True
    camera: Camera | None = None
    by_token = False
    _auth_deadline: asyncio.Task | None = None

    async def connect(self) -> None:
        self.camera_id = self.scope["url_route"]["kwargs"]["camera_id"]
        if query_has(self.scope, "token"):
            logger.warning("camera %s: a token in the URL is refused (send it in a header)", self.camera_id)
            return await self.refuse()
        token = bearer_token(self.scope)
        if token:
            return await self._join_by_token(token)
        self.camera = await camera_for_operator(self.scope.get("user"), self.camera_id)
        if self.camera is not None:
            return await self.join([camera_group(self.camera.pk)])
        # Maybe a device that sends its token first: it has a few seconds to do so.
        await self.accept()
        self._auth_deadline = asyncio.ensure_future(self._refuse_later())

    async def _refuse_later(self) -> None:
        await asyncio.sleep(AUTH_MESSAGE_SECONDS)
        if self.camera is None:
            await self.close(code=FORBIDDEN)

    async def _join_by_token(self, token: str, *, accepted: bool = False) -> None:
        self.camera = await camera_by_token(self.camera_id, token)
        if self.camera is None:
            return await (self.close(code=FORBIDDEN) if accepted else self.refuse())
        self.by_token = True
        if accepted:
            self.group_names = [camera_group(self.camera.pk)]
            await self._groups_add()
            self._rejoining = asyncio.ensure_future(self._keep_joined())
            return await self.send_json({"type": "camera.auth", "status": "ok"})
        await self.join([camera_group(self.camera.pk)])

    async def disconnect(self, code) -> None:
        if self._auth_deadline is not None:
            self._auth_deadline.cancel()
        await super().disconnect(code)

    async def still_allowed(self) -> bool:
        if self.camera is None or not await camera_still_takes(self.camera):
            return False
        return True if self.by_token else await super().still_allowed()

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.camera is None:
            return await self._receive_auth(text_data)
        if bytes_data is None:
            return await self.pictures_asked(_json_or_none(text_data))  # the only text a page sends
        if not await camera_still_takes(self.camera):
            return await self.close(code=FORBIDDEN)  # deactivated or re-keyed since: not one frame more
        if len(bytes_data) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return await self.send_json({"type": "camera.frame", "status": "rejected", "error": "frame too large"})
        try:
            status = await database_sync_to_async(camera_frame_receive)(camera=self.camera, jpeg=bytes_data)
        except ImageError as exc:
            return await self.send_json({"type": "camera.frame", "status": "rejected", "error": str(exc)})
        await self.send_json({"type": "camera.frame", "status": status})

    async def _receive_auth(self, text_data: str | None) -> None:
        """Before a camera is known only `{"type": "auth", "token": ...}` is taken."""
        message = _json_or_none(text_data)
        if not isinstance(message, dict) or message.get("type") != "auth" or not isinstance(message.get("token"), str):
            return await self.close(code=FORBIDDEN)
        await self._join_by_token(message["token"], accepted=True)

    def pictures_camera(self) -> int | None:
        return self.camera.pk

    async def may_watch_pictures(self) -> bool:
        return not self.by_token and await super().may_watch_pictures()  # a device shows its own picture

    async def camera_message(self, event: dict) -> None:
        """Another app's word to this camera's device (attendance's kiosk greeting), relayed as it is."""
        await self.send_json(event)


class ImportConsumer(_GroupConsumer):
    """ws/imports/<import_id>/ (operator+): a bulk enrolment's progress as its batches end."""

    role = OPERATOR

    def groups_to_join(self) -> list[str]:
        return [import_group(self.scope["url_route"]["kwargs"]["import_id"])]

    async def import_progress(self, event: dict) -> None:
        await self.send_json(event)
