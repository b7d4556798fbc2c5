"""Cameras: the list with each camera's live status, adding and editing a camera and its source,
deleting one (after a page saying what goes with it), its device token (admins, on its settings
page, when asked), "test connection" for streams (done by a worker), and the camera page (the
browser's webcam, or a stream's live boxes)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from identity.forms import CameraEditForm, CameraForm, posted
from identity.models import Camera
from identity.roles import ADMIN, OPERATOR, role_required
from identity.presenters import log_visit
from identity.selectors import camera_statuses, camera_visits_today
from identity.services import cameras
from identity.services.camera_sources import camera_source_shown
from identity.services.realtime import camera_group, replay_position
from identity.services.readers import camera_test_submit, camera_test_wait
from identity.services.worker_jobs import JobRefused
from identity.views.refusals import NO_WORKER_ANSWER
from integrations.models import AlertRule
from integrations.webhooks import destinations_only_at


def _visits_live(camera: Camera) -> dict:
    """The camera page's visits of today, and the replay position its socket starts from (read
    first: a visit pushed after the read is replayed, one pushed before is in the list)."""
    replay_after = replay_position(camera_group(camera.pk))
    return {"replay_after": replay_after,
            "visits": [log_visit(log) for log in camera_visits_today(camera_id=camera.pk)]}


def _form(request, instance=None) -> CameraForm:
    form_class = CameraEditForm if instance is not None else CameraForm
    return form_class(posted(request)[0], instance=instance, video_dir=settings.FACEAPP_VIDEO_DIR)


@role_required(OPERATOR)
def camera_list(request):
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        camera = cameras.camera_save(form=form, actor=request.user)
        messages.success(request, f"Camera {camera.name} created.")
        return redirect("camera-list")
    listed = list(Camera.objects.all())
    statuses = camera_statuses(cameras=listed)
    context = {"rows": [(camera, statuses[camera.pk]) for camera in listed], "form": form}
    return render(request, "identity/camera_list.html", context)


@role_required(ADMIN)
@require_POST
def camera_token_rotate(request, camera_id: int):
    camera = get_object_or_404(Camera, pk=camera_id)
    token = cameras.camera_token_rotate(camera=camera, actor=request.user)
    # Shown here once; the old token stops working now, open sockets using it close on their next frame.
    messages.success(request, f"New token for {camera.name}: {token} — put it in the device now.")
    return redirect("camera-edit", camera.pk)


@role_required(ADMIN)
@require_POST
@never_cache
def camera_token_show(request, camera_id: int):
    """The camera's settings page with its device token shown: only when an admin asks, never in a list."""
    camera = get_object_or_404(Camera, pk=camera_id)
    form = CameraEditForm(instance=camera, video_dir=settings.FACEAPP_VIDEO_DIR)
    return _edit_page(request, camera, form, token=camera.token)


@role_required(OPERATOR)
def camera_edit(request, camera_id: int):
    camera = get_object_or_404(Camera, pk=camera_id)
    form = _form(request, instance=camera)
    if request.method == "POST" and form.is_valid():
        cameras.camera_save(form=form, actor=request.user)
        messages.success(request, f"Camera {camera.name} saved.")
        return redirect("camera-view", camera.pk)
    return _edit_page(request, camera, form)


def _edit_page(request, camera: Camera, form, token: str = ""):
    context = {"camera": camera, "form": form, "source": camera_source_shown(camera=camera), "token": token}
    return render(request, "identity/camera_edit.html", context)


@role_required(ADMIN)
def camera_delete(request, camera_id: int):
    """GET: what deleting the camera keeps and what goes with it; POST: delete it."""
    camera = get_object_or_404(Camera, pk=camera_id)
    if request.method == "POST":
        kept = cameras.camera_delete(camera=camera, actor=request.user)
        messages.success(request, f"Camera {camera.name} deleted; its visits ({kept}) stay, "
                                  f"shown as “{camera.name} (deleted camera)”.")
        return redirect("camera-list")
    context = {
        "camera": camera, "visits": cameras.camera_visit_count(camera=camera),
        "rules": AlertRule.objects.filter(camera=camera), "webhooks": destinations_only_at(camera=camera),
    }
    return render(request, "identity/camera_delete.html", context)


@role_required(OPERATOR)
def camera_view(request, camera_id: int):
    camera = get_object_or_404(Camera, pk=camera_id)
    context = {
        "camera": camera, "camera_fps": settings.FACEAPP_CAMERA_FPS, "source": camera_source_shown(camera=camera),
        "status": camera_statuses(cameras=[camera])[camera.pk], **_visits_live(camera),
    }
    return render(request, "identity/camera_view.html", context)


@role_required(OPERATOR)
@require_POST
def camera_test(request, camera_id: int):
    """One frame from the stream, or the reason there is none, shown on the camera page."""
    camera = get_object_or_404(Camera, pk=camera_id, kind__in=Camera.STREAM_KINDS)
    try:
        job = camera_test_submit(user_id=request.user.pk, camera=camera)
        test = camera_test_wait(job=job, timeout=settings.FACEAPP_COMPARE_WAIT_SECONDS) or {"error": NO_WORKER_ANSWER}
    except JobRefused as refused:
        test = {"error": str(refused)}
    context = {
        "camera": camera, "camera_fps": settings.FACEAPP_CAMERA_FPS, "source": camera_source_shown(camera=camera),
        "status": camera_statuses(cameras=[camera])[camera.pk], "test": test, **_visits_live(camera),
    }
    return render(request, "identity/camera_view.html", context)
