"""Duplicates (operators): the enrolled people whose faces the gallery cannot tell apart, each
pair with Merge (one person enrolled twice) or "different people" (remembered: the pair leaves
the list)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from identity.face_engine import get_face_engine
from identity.models import Person
from identity.roles import OPERATOR, role_required
from identity.selectors import duplicate_pairs
from identity.services import duplicates, merge
from identity.services.calibration import threshold_for
from identity.services.duplicate_search import duplicates_found
from identity.views.refusals import refused


def _posted_pair(request, first: str, second: str) -> tuple[Person, Person]:
    def person(field: str) -> Person:
        value = request.POST.get(field, "")
        return get_object_or_404(Person, pk=int(value) if value.isdigit() and len(value) < 19 else 0)

    return person(first), person(second)


@role_required(OPERATOR)
@require_GET
def duplicate_list(request):
    search = duplicates_found(model_id=get_face_engine().model_id)
    return render(request, "identity/duplicate_list.html", {
        "pairs": duplicate_pairs(found=search.pairs), "current": search.current, "threshold": threshold_for(None)})


@role_required(OPERATOR)
@require_POST
def duplicate_merge(request):
    """POST keep=<id>, drop=<id>: one person enrolled twice; `drop`'s photos, faces and days go to `keep`."""
    keep, drop = _posted_pair(request, "keep", "drop")
    dropped = f"{drop.name} ({drop.display_id})"  # before the merge deletes them
    try:
        merge.people_merge(keep=keep, drop=drop, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{dropped} merged into {keep}: their photos, faces and attendance are theirs now.")
    return redirect("duplicate-list")


@role_required(OPERATOR)
@require_POST
def duplicate_distinct(request):
    """POST first=<id>, second=<id>: two different people who look alike (twins): remembered and audited."""
    first, second = _posted_pair(request, "first", "second")
    try:
        duplicates.people_distinct(person=first, other=second, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{first} and {second} are different people: they leave this list.")
    return redirect("duplicate-list")
