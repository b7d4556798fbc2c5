"""Recognise photos: the upload page and one snapshot's result."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from identity.forms import UploadForm, posted
from identity.models import Camera, Snapshot
from identity.roles import OPERATOR, VIEWER, role_required
from identity.services.recognition import snapshot_submit
from identity.vision import ImageError

UPLOADS_CAMERA_NAME = "Uploads"


def _uploads_camera() -> Camera:
    camera, _ = Camera.objects.get_or_create(name=UPLOADS_CAMERA_NAME, defaults={"kind": Camera.UPLOAD})
    return camera


@role_required(OPERATOR)
def upload(request):
    form = UploadForm(*posted(request))
    file_errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        camera = form.cleaned_data["camera"] or _uploads_camera()
        submitted = 0
        for photo in form.cleaned_data["photos"]:
            try:
                snapshot_submit(image=photo, camera=camera, user=request.user)
            except ImageError as error:
                # One bad file is reported; the others are still recognised.
                file_errors.append((photo.name, str(error)))
            else:
                submitted += 1
        if submitted:
            messages.success(request, f"{submitted} photo(s) sent for recognition: results appear below.")
        if not file_errors:
            return redirect("dashboard")
        for name, reason in file_errors:
            form.add_error("photos", f"{name}: {reason}")
    return render(request, "identity/upload.html", {"form": form, "file_errors": file_errors})


@role_required(VIEWER)
def snapshot_detail(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot.objects.select_related("camera"), pk=snapshot_id)
    logs = snapshot.logs.select_related("person", "provisional").order_by("face_index")
    faces = [{"log": log, "style": _box_style(log.box, snapshot)} for log in logs]
    return render(request, "identity/snapshot_detail.html", {"snapshot": snapshot, "faces": faces})


def _box_style(box: list[float], snapshot: Snapshot) -> str:
    """CSS placing a face box over the image in percent, so it scales with the image."""
    if not snapshot.width or not snapshot.height:
        return "display:none"
    x1, y1, x2, y2 = box
    return (
        f"left:{100 * x1 / snapshot.width:.2f}%;top:{100 * y1 / snapshot.height:.2f}%;"
        f"width:{100 * (x2 - x1) / snapshot.width:.2f}%;height:{100 * (y2 - y1) / snapshot.height:.2f}%"
    )
