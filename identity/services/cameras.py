"""Camera frames from browsers (the camera websocket) and stream readers go the same way:
into Redis as the camera's newest frame (identity.services.frames), where the live worker
that owns the camera's shard takes them; a newer frame replaces one still waiting. Over
FACEAPP_RATE_CAMERA_FPS frames a second from a browser, the extra ones are dropped unread.
"""

from django.conf import settings
from django.db import transaction

from audit.models import AuditEntry
from audit.services import audit_record
from identity.models import Camera, new_camera_token
from identity.presenters import camera_status_event
from identity.selectors import camera_statuses
from identity.services.frames import frame_put
from identity.services.ratelimit import camera_rate_key, rate_limit_hit
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push
from identity.services.uploads import image_check
from identity.vision import ImageError

QUEUED, REPLACED, RATE_LIMITED = "queued", "replaced", "rate-limited"
RATE_WINDOW_SECONDS = 2  # the rate is counted over 2 s, so a camera's jitter at the limit is not cut


def camera_frame_receive(*, camera: Camera, jpeg: bytes) -> str:
    """Returns "queued" (the frame waits for the live worker), "replaced" (it replaced a
    frame still waiting), or "rate-limited" (over FACEAPP_RATE_CAMERA_FPS frames a second,
    counted over RATE_WINDOW_SECONDS: dropped unread). A frame that is not an acceptable
    image raises identity.vision.ImageError."""
    # Counted before any check: a flooding camera costs one Redis call per extra frame.
    limit = settings.FACEAPP_RATE_CAMERA_FPS
    key = camera_rate_key(camera_id=camera.pk, camera_token=camera.token)
    allowed = limit * RATE_WINDOW_SECONDS
    if not rate_limit_hit(key=key, limit=allowed, window_seconds=RATE_WINDOW_SECONDS).allowed:
        return RATE_LIMITED
    kind, _, _ = image_check(jpeg)
    if kind != "jpg":  # a camera sends JPEG; other formats can cost far more to decode than they weigh
        raise ImageError(f"camera frames must be JPEG, not {kind.upper()}")
    return frame_put(camera_id=camera.pk, jpeg=jpeg)


def camera_token_rotate(*, camera: Camera, actor=None) -> str:
    """A new token for the camera, in force at once: a device still on the old one is closed on its
    next frame (identity.consumers) and refused from then on. Returns the new token."""
    with transaction.atomic():
        camera.token = new_camera_token()
        camera.save(update_fields=["token"])
        audit_record(actor=actor, action=AuditEntry.CAMERA_TOKEN_ROTATED, target=camera.name)
    return camera.token


def camera_status_push(*, camera: Camera) -> None:
    """Tell the cameras page, the camera's page and the dashboard where the camera stands now."""
    event = camera_status_event(camera_statuses(cameras=[camera])[camera.pk])
    push(camera_group(camera.pk), event)
    push(DASHBOARD_GROUP, event)
