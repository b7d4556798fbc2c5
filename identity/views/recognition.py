"""Recognise photos: the upload page."""

from django.contrib import messages
from django.shortcuts import redirect, render

from identity.forms import UploadForm, posted
from identity.roles import OPERATOR, role_required
from identity.services.recognition import snapshot_submit, uploads_camera
from identity.vision import ImageError


@role_required(OPERATOR)
def upload(request):
    form = UploadForm(*posted(request))
    file_errors: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        camera = form.cleaned_data["camera"] or uploads_camera()
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
