"""A visit's face crop for a webhook receiver that opted in: no session, the signed URL of the
delivery (valid FACEAPP_WEBHOOK_CROP_URL_SECONDS) is the permission."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from identity.models import MatchLog
from identity.views.media import _file_response
from integrations.signing import crop_token_visit


def crop(request, token: str):
    visit_id = crop_token_visit(token)
    if visit_id is None:
        raise PermissionDenied("This crop link is forged or has expired.")
    return _file_response(get_object_or_404(MatchLog, pk=visit_id).crop)
