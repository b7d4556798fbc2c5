"""Operators queue a failed (or stuck) snapshot again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from identity.models import Snapshot
from identity.roles import OPERATOR, role_required
from identity.services import recognition


@role_required(OPERATOR)  # outermost: a visitor without the role never learns which methods exist
@require_POST
def snapshot_retry(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot, pk=snapshot_id)
    try:
        recognition.snapshot_retry(snapshot=snapshot)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Snapshot {snapshot.pk} was queued again: its result appears here when done.")
    return redirect("snapshot-detail", snapshot_id=snapshot.pk)
