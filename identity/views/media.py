"""Biometric media (enrolment photos and crops, snapshots, face crops), never cached by
browsers or proxies, served with the type their bytes announce.

Who sees what (README, Privacy):
- enrolment photos and their sample crops: operators and admins (they enrol people);
- match-log face crops and snapshots: operators and admins; viewers only those of the last
  FACEAPP_VIEWER_MEDIA_HOURS, which is what the live dashboard shows them, not the archive;
  older ids answer them 404;
- a camera's live picture (held a few seconds in Redis, identity.services.live_pictures): the same
  rule, so a viewer who may see no face (FACEAPP_VIEWER_MEDIA_HOURS 0) gets none.
"""

import datetime as dt

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404

from identity.models import FaceSample, MatchLog, Snapshot
from identity.roles import OPERATOR, VIEWER, role_required
from identity.services.live_pictures import picture_get
from identity.services.uploads import CONTENT_TYPES
from identity.views.access import require_in_viewer_window
from identity.vision.image import image_kind


def _file_response(field: FieldFile) -> FileResponse:
    try:  # streamed through here from the disk or the bucket: never a URL of the storage's own
        handle = field.storage.open(field.name, "rb") if field else None
    except FileNotFoundError:
        handle = None
    if handle is None:
        raise Http404("This file is gone (erased or expired).")
    # The type comes from the bytes, not the stored name: only images are ever served inline.
    kind = image_kind(handle.read(16))
    handle.seek(0)
    content_type = CONTENT_TYPES.get(kind or "", "application/octet-stream")
    response = FileResponse(handle, content_type=content_type, as_attachment=kind is None)
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(OPERATOR)
def sample_photo(request, sample_id: int):
    return _file_response(get_object_or_404(FaceSample, pk=sample_id).photo)


@role_required(OPERATOR)
def sample_crop(request, sample_id: int):
    return _file_response(get_object_or_404(FaceSample, pk=sample_id).crop)


@role_required(VIEWER)
def log_crop(request, log_id: int):
    log = get_object_or_404(MatchLog, pk=log_id)
    require_in_viewer_window(request, seen_at=log.last_seen)  # a visit is as recent as its last frame
    return _file_response(log.crop)


@role_required(VIEWER)
def snapshot_image(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot, pk=snapshot_id)
    require_in_viewer_window(request, seen_at=snapshot.received_at)
    return _file_response(snapshot.image)


@role_required(VIEWER)
def camera_picture(request, camera_id: int, picture_id: int):
    """The camera's live picture named by an overlay; 404 once a newer one replaced it or it expired."""
    picture = picture_get(camera_id=camera_id)
    if picture is None or picture.id != picture_id:
        raise Http404("This picture is gone (a newer one replaced it).")
    require_in_viewer_window(request, seen_at=dt.datetime.fromtimestamp(picture.captured_at, dt.timezone.utc))
    response = HttpResponse(picture.jpeg, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
