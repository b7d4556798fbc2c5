"""The review queue: the least certain faces first, decided with buttons or the keyboard."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from identity import presenters, selectors
from identity.models import MatchLog, Person
from identity.roles import OPERATOR, role_required
from identity.services import review
from identity.services.calibration import threshold_for

QUEUE_SIZE = 50
ACTIONS = ("confirm", "reject", "reassign", "add_sample")


def _get_log(log_id: int) -> MatchLog:
    related = ("snapshot__camera", "person", "best_person", "reviewed_person")
    return get_object_or_404(selectors.with_candidate_sample(MatchLog.objects.select_related(*related)), pk=log_id)


@role_required(OPERATOR)
@require_GET
def review_queue(request):
    items = [presenters.review_item(log) for log in selectors.review_queue(limit=QUEUE_SIZE)]
    context = {"items": items, "threshold": threshold_for(None)}
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
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse({"ok": True, "item": presenters.review_item(_get_log(log_id))})
