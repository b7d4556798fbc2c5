"""One snapshot: its result (its faces boxed over the photo), and queued again by an operator
when it failed or got stuck."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from identity.models import Snapshot
from identity.presenters import snapshot_payload
from identity.roles import OPERATOR, VIEWER, role_required
from identity.services import recognition
from identity.views.access import require_in_viewer_window
from identity.views.refusals import refused


@role_required(VIEWER)
def snapshot_detail(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot.objects.select_related("camera"), pk=snapshot_id)
    require_in_viewer_window(request, seen_at=snapshot.received_at)
    logs = list(snapshot.logs.select_related("person", "provisional").order_by("face_index"))
    context = {"snapshot": snapshot, "logs": logs, "result": snapshot_payload(snapshot, logs=logs)}
    return render(request, "identity/snapshot_detail.html", context)


@role_required(OPERATOR)  # outermost: a visitor without the role never learns which methods exist
@require_POST
def snapshot_retry(request, snapshot_id: int):
    snapshot = get_object_or_404(Snapshot, pk=snapshot_id)
    try:
        recognition.snapshot_retry(snapshot=snapshot)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"Snapshot {snapshot.pk} was queued again: its result appears here when done.")
    return redirect("snapshot-detail", snapshot_id=snapshot.pk)
