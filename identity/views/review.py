"""The review queue (the least certain faces first, decided with buttons or the keyboard) and
the recognition history: every face, filtered and paged, reviewed in groups, reviews undone."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from identity import presenters, selectors
from identity.forms import HistoryFilterForm
from identity.models import MatchLog, Person
from identity.roles import OPERATOR, role_required
from identity.services import review
from identity.services.calibration import threshold_for
from identity.services.realtime import DASHBOARD_GROUP, replay_position
from identity.views.paging import list_query
from identity.views.refusals import refusal_text, refused

QUEUE_SIZE = 50
ACTIONS = ("confirm", "reject", "reassign", "add_sample")


def _get_log(log_id: int) -> MatchLog:
    related = ("snapshot__camera", "person", "best_person", "reviewed_person")
    return get_object_or_404(selectors.with_candidate_sample(MatchLog.objects.select_related(*related)), pk=log_id)


@role_required(OPERATOR)
@require_GET
def review_queue(request):
    replay_after = replay_position(DASHBOARD_GROUP)  # read first: a face pushed after it is replayed
    items = [presenters.review_item(log) for log in selectors.review_queue(limit=QUEUE_SIZE)]
    context = {"items": items, "threshold": threshold_for(None), "replay_after": replay_after}
    return render(request, "identity/review_queue.html", context)


@role_required(OPERATOR)
@require_GET
def review_item(request):
    """GET ?log=<id>: one queue entry, for a face the page learnt about over its socket."""
    log_id = request.GET.get("log", "")
    if not log_id.isdigit() or len(log_id) > 18:  # more digits than a row id can have
        return JsonResponse({"error": "Say which face: ?log=<id>."}, status=400)
    return JsonResponse({"item": presenters.review_item(_get_log(int(log_id)))})


@role_required(OPERATOR)
@require_POST
def review_decide(request, log_id: int):
    """POST action=confirm|reject|reassign|add_sample (+ person for reassign, note) → JSON."""
    log = _get_log(log_id)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return JsonResponse({"error": f"Unknown action {action!r}: use one of {', '.join(ACTIONS)}."}, status=400)
    note = request.POST.get("note", "")[:200]
    try:
        if action == "confirm":
            review.log_confirm(log=log, user=request.user)
        elif action == "reject":
            review.log_reject(log=log, user=request.user, note=note)
        elif action == "reassign":
            person_id = request.POST.get("person", "")
            person = Person.objects.filter(pk=int(person_id)).first() if person_id.isdigit() else None
            if person is None:
                return JsonResponse({"error": "Choose the person this face really is."}, status=400)
            review.log_reassign(log=log, person=person, user=request.user, note=note)
        else:
            review.log_add_as_sample(log=log, user=request.user)
    except ValidationError as error:
        return JsonResponse({"error": refusal_text(error)}, status=400)
    return JsonResponse({"ok": True, "item": presenters.review_item(_get_log(log_id))})


@role_required(OPERATOR)
@require_GET
def review_history(request):
    form = HistoryFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    camera = filters.get("camera")
    logs = selectors.recognition_history(
        who=(filters.get("who") or "").strip(), camera_id=camera.pk if camera else None,
        decision=filters.get("decision") or "", review=filters.get("review") or "",
        start=filters.get("start"), end=filters.get("end"), page=request.GET.get("page", 1),
    )
    context = {"form": form, "logs": logs, "query": list_query(request)}
    return render(request, "identity/review_history.html", context)


def _back(request) -> str:
    """Where a history form came from (its filters kept), else the history's first page."""
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return back if back and safe else reverse("review-history")


@role_required(OPERATOR)
@require_POST
def review_bulk(request):
    """POST action=confirm|reject, log (repeated): the whole group of faces in one action."""
    ids = [int(value) for value in request.POST.getlist("log") if value.isdigit() and len(value) < 19]
    logs = list(MatchLog.objects.select_related("snapshot").filter(pk__in=ids))
    try:
        count = review.logs_review_bulk(logs=logs, action=request.POST.get("action", ""), user=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{count} face(s) {request.POST['action']}ed." if count else "No face was chosen.")
    return redirect(_back(request))


@role_required(OPERATOR)
@require_POST
def review_undo(request, log_id: int):
    try:
        review.log_review_undo(log=_get_log(log_id), user=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"Review of face #{log_id} undone: it counts as the system decided again.")
    return redirect(_back(request))
