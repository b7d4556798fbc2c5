"""Access checks shared by views: what a viewer may see of the past."""

import datetime as dt

from django.conf import settings
from django.http import Http404
from django.utils import timezone

from identity.roles import OPERATOR, has_role


def visible_since(user) -> dt.datetime | None:
    """Viewers see what the live dashboard shows (the last FACEAPP_VIEWER_MEDIA_HOURS, none when
    0); operators and admins the archive (None: no limit)."""
    if has_role(user, OPERATOR):
        return None
    return timezone.now() - dt.timedelta(hours=max(settings.FACEAPP_VIEWER_MEDIA_HOURS, 0))


def faces_visible(user, *, seen_at: dt.datetime) -> bool:
    """Whether the user may see the faces of a moment: operators always, viewers inside their window
    (never with FACEAPP_VIEWER_MEDIA_HOURS 0, not even a live picture)."""
    since = visible_since(user)
    return since is None or seen_at > since


def require_in_viewer_window(request, *, seen_at: dt.datetime) -> None:
    """Older ids answer a viewer 404, so counting through ids tells them nothing."""
    if not faces_visible(request.user, seen_at=seen_at):
        raise Http404("Not found.")
