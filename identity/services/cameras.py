"""Cameras: adding, editing, switching off and deleting one (each audited), its device token, and its frames.

Camera frames from browsers (the camera websocket) and stream readers go the same way:
into Redis as the camera's newest frame (identity.services.frames), where the live worker
that owns the camera's shard takes them; a newer frame replaces one still waiting. Over
FACEAPP_RATE_CAMERA_FPS frames a second from a browser, the extra ones are dropped unread.
"""

from django.conf import settings
from django.db import transaction

from audit.models import AuditEntry
from audit.services import audit_record
from faceapp import metrics
from identity.models import Camera, MatchLog, Snapshot, new_camera_token
from identity.presenters import camera_status_event
from identity.selectors import camera_statuses
from identity.services.frames import camera_forget, frame_put
from identity.services.ratelimit import camera_rate_key, rate_limit_hit
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push
from identity.services.uploads import image_check
from identity.vision import ImageError
from integrations.webhooks import destinations_camera_deleting

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
    metrics.count("faceapp_frames_read_total", camera=camera.pk)
    if not rate_limit_hit(key=key, limit=allowed, window_seconds=RATE_WINDOW_SECONDS).allowed:
        metrics.count("faceapp_frames_dropped_total", camera=camera.pk, reason="rate_limited")
        return RATE_LIMITED
    kind, _, _ = image_check(jpeg)
    if kind != "jpg":  # a camera sends JPEG; other formats can cost far more to decode than they weigh
        raise ImageError(f"camera frames must be JPEG, not {kind.upper()}")
    return frame_put(camera_id=camera.pk, jpeg=jpeg)


def camera_save(*, form, actor=None) -> Camera:
    """Add or edit a camera from its checked form (identity.forms.CameraForm), with its audit entries:
    created; edited (the fields changed, never the source's address); switched off or on."""
    adding = form.instance.pk is None
    before = form.initial.get("name", "")
    with transaction.atomic():
        camera = form.save()
        if adding:
            audit_record(actor=actor, action=AuditEntry.CAMERA_CREATED, target=camera.name,
                         detail=camera.get_kind_display())
            return camera
        changed = [name.replace("_url", "") for name in form.changed_data if name != "active"]
        if changed:
            renamed = f" ({before} → {camera.name})" if "name" in changed else ""
            audit_record(actor=actor, action=AuditEntry.CAMERA_EDITED, target=camera.name,
                         detail=", ".join(changed) + renamed)
        if "active" in form.changed_data:
            audit_record(actor=actor, action=AuditEntry.CAMERA_ACTIVE_SET, target=camera.name,
                         detail="switched on" if camera.active else "switched off")
    return camera


def camera_visit_count(*, camera: Camera) -> int:
    return MatchLog.objects.filter(snapshot__camera=camera).count()


def camera_delete(*, camera: Camera, actor=None) -> int:
    """Delete the camera. Its visits stay, their frames named "<name> (deleted camera)"; its alert rules,
    threshold history and attendance role go with it (their keys cascade); a webhook that sent only its
    events is paused (identity.services.live copes with a camera gone under it). Returns the visits kept."""
    camera_id, name = camera.pk, camera.name
    with transaction.atomic():
        visits = camera_visit_count(camera=camera)
        # The name before the row goes: deleting the camera empties its frames' key (SET_NULL).
        Snapshot.objects.filter(camera=camera).update(deleted_camera=name)
        paused = destinations_camera_deleting(camera=camera)
        detail = f"{visits} visit(s) kept" + (f"; webhooks paused: {', '.join(paused)}" if paused else "")
        audit_record(actor=actor, action=AuditEntry.CAMERA_DELETED, target=name, detail=detail)
        camera.delete()
        transaction.on_commit(lambda: camera_forget(camera_id=camera_id))
    return visits


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
