"""What a websocket may do, read from its scope: the session's user and role, a camera's device
token, the query. The consumers (identity.consumers) check these on connect,
on every re-join and, for cameras, on every frame."""

import secrets
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.utils import timezone

from identity.models import Camera
from identity.roles import OPERATOR, VIEWER, has_role
from identity.services.accounts import password_change_due
from identity.views.access import faces_visible, visible_since


def session_user_may(user, role: str) -> bool:
    """The session's user holds the role and chose their own password (one an admin set must be changed
    first: faceapp.middleware.password_change_due_middleware does the same for pages)."""
    return has_role(user, role) and not password_change_due(user)


@database_sync_to_async
def user_has_role(user, role: str) -> bool:
    return session_user_may(user, role)


@database_sync_to_async
def session_still_has_role(scope, role: str) -> bool:
    """The socket's session, read again: still there (not logged out), its user still active with
    the same password (Django's session hash) and still holding the role."""
    session_key = getattr(scope.get("session"), "session_key", None)
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    return session_user_may(get_user(SimpleNamespace(session=store)), role)


@database_sync_to_async
def user_sees_faces_now(user) -> bool:
    """Live pictures follow the media's rule: a viewer who may see no face sees no picture."""
    return session_user_may(user, VIEWER) and faces_visible(user, seen_at=timezone.now())


@database_sync_to_async
def camera_by_token(camera_id: int, token: str) -> Camera | None:
    camera = Camera.objects.filter(pk=camera_id, active=True).first()
    return camera if camera is not None and token and secrets.compare_digest(token, camera.token) else None


@database_sync_to_async
def camera_for_operator(user, camera_id: int) -> Camera | None:
    return Camera.objects.filter(pk=camera_id, active=True).first() if session_user_may(user, OPERATOR) else None


@database_sync_to_async
def camera_still_takes(camera: Camera) -> bool:
    """One indexed read per frame: the camera is still active and its token unchanged."""
    return Camera.objects.filter(pk=camera.pk, active=True, token=camera.token).exists()


def bearer_token(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


def query_has(scope, name: str) -> bool:
    return name in parse_qs(scope.get("query_string", b"").decode("latin-1"))


def query_value(scope, name: str) -> str:
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [""])[0]


@database_sync_to_async
def visible_since_ms(user) -> int | None:
    since = visible_since(user)
    return None if since is None else int(since.timestamp() * 1000)
