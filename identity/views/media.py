"""Biometric media (enrolment photos and crops, snapshots, face crops): viewers and up only,
never cached by browsers or proxies, served with the type their bytes announce."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from identity.models import FaceSample, MatchLog, Snapshot
from identity.roles import VIEWER, role_required
from identity.services.uploads import CONTENT_TYPES, image_kind


def _file_response(field: FieldFile) -> FileResponse:
    if not field or not field.storage.exists(field.name):
        raise Http404("This file is gone (erased or expired).")
    handle = field.open("rb")
    # The type comes from the bytes, not the stored name: only images are ever served inline.
    kind = image_kind(handle.read(16))
    handle.seek(0)
    content_type = CONTENT_TYPES.get(kind or "", "application/octet-stream")
    response = FileResponse(handle, content_type=content_type, as_attachment=kind is None)
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(VIEWER)
def sample_photo(request, sample_id: int):
    return _file_response(get_object_or_404(FaceSample, pk=sample_id).photo)


@role_required(VIEWER)
def sample_crop(request, sample_id: int):
    return _file_response(get_object_or_404(FaceSample, pk=sample_id).crop)


@role_required(VIEWER)
def log_crop(request, log_id: int):
    return _file_response(get_object_or_404(MatchLog, pk=log_id).crop)


@role_required(VIEWER)
def snapshot_image(request, snapshot_id: int):
    return _file_response(get_object_or_404(Snapshot, pk=snapshot_id).image)
