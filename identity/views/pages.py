"""The dashboard: live recognitions, today's attendance and the latest frame.

The page is rendered once here; afterwards it changes only through `ws/dashboard/`.
"""

from django.shortcuts import render
from django.urls import reverse

from identity.models import Camera, MatchLog, Snapshot
from identity.roles import VIEWER, role_required
from identity.selectors import camera_statuses, snapshot_result
from identity.services.attendance import attendance_today

FEED_LENGTH = 30


def _feed_item(log: MatchLog) -> dict:
    """One feed row, with the same fields the page's script reads from `recognition.result`."""
    camera = log.snapshot.camera
    return {
        "log_id": log.pk,
        "decision": log.decision,
        "label": log.label,
        "assigned_id": log.assigned_id,
        "similarity": log.similarity,
        "crop_url": reverse("media-log-crop", args=[log.pk]) if log.crop else "",
        "camera": camera.name if camera else "",
        "time": log.created_at,
        "last_seen": log.last_seen,
        "frame_count": log.frame_count,
        "snapshot_id": log.snapshot_id,
    }


def _box_percent(box: list[float], width: int, height: int) -> dict:
    x1, y1, x2, y2 = box
    return {
        "left": 100 * x1 / width,
        "top": 100 * y1 / height,
        "width": 100 * (x2 - x1) / width,
        "height": 100 * (y2 - y1) / height,
    }


def _latest_frame() -> dict | None:
    snapshot = Snapshot.objects.filter(status=Snapshot.DONE).select_related("camera").first()
    if snapshot is None or not snapshot.width or not snapshot.height:
        return None
    payload = snapshot_result(snapshot=snapshot)
    for face in payload["faces"]:
        face["place"] = _box_percent(face["box"], snapshot.width, snapshot.height)
    return payload


def _live_cameras() -> list[Camera]:
    """Active cameras that send frames (not the upload and API sources of photos)."""
    kinds = (Camera.WEBCAM, *Camera.STREAM_KINDS)
    return list(Camera.objects.filter(active=True, kind__in=kinds).order_by("name"))


@role_required(VIEWER)
def dashboard(request):
    logs = MatchLog.objects.select_related("person", "provisional", "snapshot__camera")[:FEED_LENGTH]
    context = {
        "feed": [_feed_item(log) for log in logs],
        "attendance": attendance_today(),
        "latest": _latest_frame(),
        "cameras": list(camera_statuses(cameras=_live_cameras()).values()),
        "feed_length": FEED_LENGTH,
    }
    return render(request, "identity/dashboard.html", context)
