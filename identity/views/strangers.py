"""Strangers (operators): every unnamed provisional ID with their newest faces and how often they
were seen this week, named (a new person or an enrolled one) or merged when two are one person;
the page suggests the pairs whose faces are most alike."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from identity.face_engine import get_face_engine
from identity.forms import StrangerNameForm
from identity.models import FaceSample, ProvisionalIdentity
from identity.roles import OPERATOR, role_required
from identity.selectors import stranger_suggestions, strangers_overview
from identity.services import review
from identity.services.calibration import threshold_for
from identity.services.duplicates import DuplicateFace
from identity.views.refusals import refused

SUGGESTIONS = 10


def _stranger(value: str) -> ProvisionalIdentity:
    return get_object_or_404(ProvisionalIdentity, pk=int(value) if value.isdigit() and len(value) < 19 else 0)


@role_required(OPERATOR)
@require_GET
def stranger_list(request):
    strangers = strangers_overview()
    pairs = stranger_suggestions(strangers=strangers, dim=get_face_engine().embedding_size,
                                 threshold=settings.FACEAPP_STRANGER_SUGGEST_THRESHOLD)[:SUGGESTIONS]
    context = {"strangers": strangers, "pairs": pairs, "name_form": StrangerNameForm(), "threshold": threshold_for(None)}
    return render(request, "identity/stranger_list.html", context)


@role_required(OPERATOR)
@require_POST
def stranger_name(request, provisional_id: int):
    provisional = _stranger(str(provisional_id))
    form = StrangerNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()) or "Give a name or a code.")
        return redirect("stranger-list")
    data = form.cleaned_data
    try:
        if data["existing"].strip():
            person = review.provisional_assign(provisional=provisional, user=request.user,
                                               person=data["existing_person"])
        else:
            person = review.provisional_promote(provisional=provisional, name=data["name"], code=data["code"],
                                                user=request.user, distinct_from=data["different_from"])
    except DuplicateFace as held:
        faces = provisional.logs.exclude(crop="").order_by("-id").values_list("pk", flat=True)
        other_faces = held.held_as.person.samples.filter(status=FaceSample.ACCEPTED).exclude(crop="")
        context = {"provisional": provisional, "held": held.held_as, "data": data, "face_ids": list(faces[:4]),
                   "other_face": other_faces.first(), "threshold": threshold_for(None)}
        return render(request, "identity/stranger_held.html", context, status=409)
    except ValidationError as error:
        refused(request, error)
        return redirect("stranger-list")
    messages.success(request, f"{provisional.label} is {person.name}: their faces moved to them.")
    return redirect("person-detail", person_id=person.pk)


@role_required(OPERATOR)
@require_POST
def stranger_merge(request):
    """POST keep=<id>, drop=<id>: the two strangers are one person."""
    keep, drop = _stranger(request.POST.get("keep", "")), _stranger(request.POST.get("drop", ""))
    try:
        review.provisional_merge(keep=keep, drop=drop, user=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{drop.label} merged into {keep.label}.")
    return redirect("stranger-list")
