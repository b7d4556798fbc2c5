"""A roll call as the page and the API show it: the photo's numbered faces, each in one list
(members found, outside the group, to check: unsure, not recognised, too small), and the
members (the group's, or the people chosen) no face counts for."""

from django.urls import reverse

from attendance.models import RollCall, RollCallFace
from attendance.rollcall import expected_people

FOUND, OUTSIDE, UNSURE, UNKNOWN, TOO_SMALL = "found", "outside", "unsure", "unknown", "too_small"
LIST_LABELS = {FOUND: "member", OUTSIDE: "outside the group", UNSURE: "unsure", UNKNOWN: "not recognised",
               TOO_SMALL: "too small to name"}


def face_list(face: RollCallFace, members: set[int]) -> str:
    """Which list a face is in: whom it counts for first, then what the engine said of it."""
    if face.person_id is not None:
        return FOUND
    if face.confirmed_by_id is not None or face.decision == RollCallFace.UNKNOWN:
        return UNKNOWN  # the user said: no member; or nobody the engine knows
    if face.decision == RollCallFace.NAMED:
        return OUTSIDE if face.found_id not in members else UNSURE
    return TOO_SMALL if face.decision == RollCallFace.TOO_SMALL else UNSURE


def _person(person) -> dict | None:
    return {"id": person.pk, "name": person.name} if person is not None else None


def roll_call_payload(roll_call: RollCall) -> dict:
    members = {person.pk: person for person in expected_people(roll_call).filter(active=True).order_by("name", "id")}
    faces = list(roll_call.faces.select_related("found", "person"))
    rows = [{
        "id": face.pk, "number": face.number, "box": face.box, "size_px": face.size_px,
        "decision": face.decision, "similarity": face.similarity, "list": face_list(face, set(members)),
        "found": _person(face.found), "person": _person(face.person), "confirmed": face.confirmed_by_id is not None,
    } for face in faces]
    counted = {face.person_id for face in faces}
    return {
        "id": roll_call.pk, "group_id": roll_call.group_id, "day": roll_call.day.isoformat(),
        "at": roll_call.at.isoformat(),
        "session_id": roll_call.session_id, "status": roll_call.status, "error": roll_call.error,
        "width": roll_call.width, "height": roll_call.height,
        "photo_url": reverse("roll-call-photo", args=[roll_call.pk]),
        "page_url": reverse("roll-call-detail", args=[roll_call.pk]),
        "marked_at": roll_call.marked_at.isoformat() if roll_call.marked_at else None,
        "faces": rows,
        "members_missing": [_person(person) for pk, person in members.items() if pk not in counted],
    }
