"""Search past faces by photo (operators): drop a photo, get the logged faces that look like
each of its faces (camera, time, crop, similarity): the likely ones (at or above the 1:N
threshold in force) first, the rest folded. A worker decides (identity.services.face_search)."""

from django.conf import settings
from django.shortcuts import render

from identity.forms import FaceSearchForm, posted
from identity.models import MatchLog
from identity.roles import OPERATOR, role_required
from identity.services.calibration import threshold_for
from identity.services.face_search import face_search_submit, face_search_wait
from identity.services.uploads import image_check, image_read
from identity.views.refusals import worker_answer
from identity.vision import ImageError


def _with_logs(faces: list[dict], *, threshold: float) -> list[dict]:
    """The answer's faces with their matched logs read (one query), in the answer's order; each
    face's matches split into the likely ones (at or above the 1:N `threshold`) and the others."""
    ids = [log_id for face in faces for log_id, _ in face["matches"]]
    logs = MatchLog.objects.select_related("snapshot__camera", "person", "reviewed_person").in_bulk(ids)
    shown = []
    for face in faces:
        matches = [(logs[log_id], similarity) for log_id, similarity in face["matches"] if log_id in logs]
        shown.append({"crop": face["crop"], "too_small": face["too_small"], "matches": matches,
                      "likely": [m for m in matches if m[1] >= threshold],
                      "others": [m for m in matches if m[1] < threshold]})
    return shown


@role_required(OPERATOR)
def face_search_page(request):
    form = FaceSearchForm(*posted(request))
    faces, threshold = None, threshold_for(None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            photo = image_read(upload)
            image_check(photo)  # byte cap, type sniffing and the pixel cap from the header: no pixel decoded here
        except ImageError as error:
            form.add_error("photo", f"Unreadable photo ({upload.name}): {error}")
        else:
            answer = worker_answer(form, lambda: face_search_wait(
                job=face_search_submit(user_id=request.user.pk, photo=photo),
                timeout=settings.FACEAPP_COMPARE_WAIT_SECONDS)) or {}  # none: the form says why
            if answer.get("field_errors"):
                form.add_error("photo", f"Unreadable photo ({upload.name}): {answer['field_errors']['photo']}")
            elif answer.get("error"):
                form.add_error(None, f"Cannot search: {answer['error']}.")
            elif "faces" in answer:
                faces = _with_logs(answer["faces"], threshold=threshold)
    return render(request, "identity/face_search.html", {"form": form, "faces": faces, "threshold": threshold})
