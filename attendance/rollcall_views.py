"""Roll call pages: a class photo uploaded for a group's session (or, by an operator, for a
chosen list of people), then its result (the photo with a numbered box on every face, the
lists, a confirm or correct form per face, "Mark present"). Those who may correct the group's
days take them (attendance.access); others answer 404 or 403. The photo is private media,
served here after the same check."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from attendance.access import group_correctable, roll_call_correctable
from attendance.forms import RollCallFaceForm, RollCallForm, RollCallPeopleForm, refusal_onto
from attendance.models import RollCall
from attendance.rollcall import (
    expected_people, roll_call_create, roll_call_face_set, roll_call_mark, sessions_of_day,
)
from attendance.rollcall_presenters import FOUND, LIST_LABELS, OUTSIDE, TOO_SMALL, UNKNOWN, UNSURE, roll_call_payload
from attendance.views import _parse_day
from faceapp.clock import site_date
from identity.roles import OPERATOR, VIEWER, role_required
from identity.views.media import _file_response
from identity.views.refusals import refused
from identity.vision import ImageError

RECENT = 10  # roll calls listed on the upload page
LABEL_PX = 12  # the boxes' numbers, at least, in the photo's pixels (larger on a large photo)


def _taken(request, form, **fields):
    """The roll call taken from a valid form, or None with the refusal on the form."""
    try:
        return roll_call_create(day=form.cleaned_data["day"], image=form.cleaned_data["photo"], actor=request.user,
                                **fields)
    except ImageError as error:
        form.add_error("photo", str(error))
    except ValidationError as error:
        refusal_onto(form, error)
    return None


@role_required(VIEWER)
def roll_call_new(request, group_id: int):
    """GET: the form (?day= picks the day whose sessions are offered); POST: the photo taken in."""
    group = group_correctable(request.user, group_id)
    data = request.POST if request.method == "POST" else request.GET
    day = _parse_day(data.get("day", "")) or site_date()
    sessions = sessions_of_day(group=group, day=day)
    form = RollCallForm(request.POST or None, request.FILES or None, sessions=sessions, initial={"day": day})
    if request.method == "POST" and form.is_valid():
        session = next((s for s in sessions if s.pk == form.cleaned_data["session"]), None)
        if roll_call := _taken(request, form, group=group, session=session):
            return redirect("roll-call-detail", roll_call.pk)
    return render(request, "attendance/roll_call_new.html", {
        "group": group, "form": form, "day": day, "recent": group.roll_calls.select_related("session")[:RECENT],
    }, status=400 if request.method == "POST" else 200)


@role_required(OPERATOR)
def roll_call_new_people(request):
    """A roll call for a chosen list of people (an outing, a mixed session): no group, no session."""
    form = RollCallPeopleForm(request.POST or None, request.FILES or None, initial={"day": site_date()})
    if request.method == "POST" and form.is_valid():
        if roll_call := _taken(request, form, group=None, session=None, people=form.cleaned_data["people"]):
            return redirect("roll-call-detail", roll_call.pk)
    recent = RollCall.objects.filter(group__isnull=True)[:RECENT]
    return render(request, "attendance/roll_call_new.html", {"group": None, "form": form, "recent": recent},
                  status=400 if request.method == "POST" else 200)


@role_required(VIEWER)
def roll_call_detail(request, roll_call_id: int):
    roll_call = roll_call_correctable(request.user, roll_call_id)
    payload = roll_call_payload(roll_call)
    members = list(expected_people(roll_call).filter(active=True).order_by("name", "id").values_list("id", "name"))
    for face in payload["faces"]:
        chosen = face["person"] or (face["found"] if face["list"] == UNSURE else None)
        face["form"] = RollCallFaceForm(members=members, initial={"person": chosen["id"] if chosen else ""},
                                        auto_id=f"face-{face['number']}-%s")
        face["label"] = LIST_LABELS[face["list"]]
        face["width"], face["height"] = face["box"][2] - face["box"][0], face["box"][3] - face["box"][1]
    lists = {name: [face for face in payload["faces"] if face["list"] == name]
             for name in (FOUND, OUTSIDE, UNSURE, UNKNOWN, TOO_SMALL)}
    return render(request, "attendance/roll_call.html", {
        "group": roll_call.group, "roll_call": roll_call, "result": payload, "lists": lists,
        "to_check": lists[UNSURE] + lists[UNKNOWN] + lists[TOO_SMALL],
        "marked": roll_call.marked_at is not None, "label_px": max(LABEL_PX, round(payload["width"] / 60)),
    })


@role_required(VIEWER)
def roll_call_photo(request, roll_call_id: int):
    return _file_response(roll_call_correctable(request.user, roll_call_id).photo)


@role_required(VIEWER)
@require_POST
def roll_call_face(request, roll_call_id: int, face_id: int):
    """POST person (empty: not a member): the user's word on one face."""
    roll_call = roll_call_correctable(request.user, roll_call_id)
    face = get_object_or_404(roll_call.faces, pk=face_id)
    members = expected_people(roll_call).filter(active=True)
    form = RollCallFaceForm(request.POST, members=[(person.pk, person.name) for person in members])
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("roll-call-detail", roll_call.pk)
    person = members.filter(pk=form.cleaned_data["person"]).first() if form.cleaned_data["person"] else None
    try:
        roll_call_face_set(face=face, person=person, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"Face {face.number}: {person.name if person else 'not a member'}.")
    return redirect("roll-call-detail", roll_call.pk)


@role_required(VIEWER)
@require_POST
def roll_call_mark_present(request, roll_call_id: int):
    roll_call = roll_call_correctable(request.user, roll_call_id)
    try:
        written = roll_call_mark(roll_call=roll_call, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{len(written)} marked present on {roll_call.day:%Y-%m-%d}." if written else
                         "Nobody more to mark: the members found are marked present already.")
    return redirect("roll-call-detail", roll_call.pk)
