"""Cameras: the list (tokens for admins only) and the browser-webcam camera page."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from identity.forms import CameraForm, posted
from identity.models import Camera
from identity.roles import OPERATOR, role_required


@role_required(OPERATOR)
def camera_list(request):
    form = CameraForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        camera = form.save()
        messages.success(request, f"Camera {camera.name} created.")
        return redirect("camera-list")
    context = {"cameras": Camera.objects.all(), "form": form}
    return render(request, "identity/camera_list.html", context)


@role_required(OPERATOR)
def camera_view(request, camera_id: int):
    camera = get_object_or_404(Camera, pk=camera_id)
    context = {"camera": camera, "camera_fps": settings.FACEAPP_CAMERA_FPS}
    return render(request, "identity/camera_view.html", context)
