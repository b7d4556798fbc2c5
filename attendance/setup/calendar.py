"""The calendar and the site's vocabulary: closures (holidays, for every group or some), planned
absences (a person away over days, with an excused code), attendance codes, cameras' roles."""

import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from attendance.models import AttendanceCode, AttendanceEvent, CameraRole, Closure, Group, PlannedAbsence, RegisterDay
from audit.models import AuditEntry
from audit.services import acting_user, audit_record
from identity.models import Camera, Person

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
CATEGORIES = {category for category, _ in AttendanceCode.CATEGORY_CHOICES}
ROLES = {role for role, _ in CameraRole.ROLE_CHOICES}


def _days_check(first_day: dt.date, last_day: dt.date, what: str) -> None:
    if last_day < first_day:
        raise ValidationError({"last_day": f"{what} ends on {last_day}, before it starts on {first_day}: "
                                           "give its last day on or after its first."})


def _groups_text(groups: list[Group]) -> str:
    return ", ".join(group.name for group in groups) or "every group"


# ---------- closures ----------


def _closure_clean(name: str, first_day: dt.date, last_day: dt.date) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "A closure needs a name (e.g. Autumn holidays)."})
    _days_check(first_day, last_day, f"The closure {name}")
    return name[:100]


def closure_create(*, actor, name: str, first_day: dt.date, last_day: dt.date,
                   groups: Iterable[Group] = ()) -> Closure:
    """Days nobody is expected: for every group when `groups` is empty, else for those."""
    name, groups = _closure_clean(name, first_day, last_day), list(groups)
    with transaction.atomic():
        closure = Closure.objects.create(name=name, first_day=first_day, last_day=last_day)
        closure.groups.set(groups)
        audit_record(actor=actor, action=AuditEntry.CLOSURE_SAVED, target=name,
                     detail=f"{first_day} to {last_day}, {_groups_text(groups)}")
    return closure


def closure_update(*, actor, closure: Closure, name: str, first_day: dt.date, last_day: dt.date,
                   groups: Iterable[Group] = ()) -> Closure:
    name, groups = _closure_clean(name, first_day, last_day), list(groups)
    with transaction.atomic():
        closure.name, closure.first_day, closure.last_day = name, first_day, last_day
        closure.save()
        closure.groups.set(groups)
        audit_record(actor=actor, action=AuditEntry.CLOSURE_SAVED, target=name,
                     detail=f"edited: {first_day} to {last_day}, {_groups_text(groups)}")
    return closure


def closure_delete(*, actor, closure: Closure) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.CLOSURE_DELETED, target=closure.name,
                     detail=f"{closure.first_day} to {closure.last_day}")
        closure.delete()


# ---------- planned absences ----------


def _absence_check(*, person: Person, first_day: dt.date, last_day: dt.date, code: AttendanceCode,
                   absence: PlannedAbsence | None = None) -> None:
    _days_check(first_day, last_day, "The absence")
    if code.category != AttendanceCode.EXCUSED_ABSENCE:
        raise ValidationError({"code": f"A planned absence is excused: {code.label} is a code for "
                                       f"{code.get_category_display().lower()}. Choose an excused-absence code."})
    overlapping = (PlannedAbsence.objects.filter(person=person, first_day__lte=last_day, last_day__gte=first_day)
                   .exclude(pk=absence.pk if absence else None).select_related("code").first())
    if overlapping is not None:
        raise ValidationError(f"{person.name} is away from {overlapping.first_day} to {overlapping.last_day} "
                              f"already ({overlapping.code.label}): change that absence instead.")


def absence_create(*, actor, person: Person, first_day: dt.date, last_day: dt.date, code: AttendanceCode,
                   reason: str = "") -> PlannedAbsence:
    """A person away from `first_day` to `last_day` (leave, sick, a trip): excused, never unexcused."""
    _absence_check(person=person, first_day=first_day, last_day=last_day, code=code)
    # Checked then written: two offices entering overlapping absences at once may both pass (one a day apart is rare).
    with transaction.atomic():
        absence = PlannedAbsence.objects.create(person=person, first_day=first_day, last_day=last_day, code=code,
                                                reason=reason.strip()[:200], created_by=acting_user(actor))
        audit_record(actor=actor, action=AuditEntry.ABSENCE_SAVED, person=person,
                     detail=f"{first_day} to {last_day}, {code.label}")
    return absence


def absence_update(*, actor, absence: PlannedAbsence, first_day: dt.date, last_day: dt.date,
                   code: AttendanceCode, reason: str = "") -> PlannedAbsence:
    _absence_check(person=absence.person, first_day=first_day, last_day=last_day, code=code, absence=absence)
    with transaction.atomic():
        absence.first_day, absence.last_day, absence.code, absence.reason = first_day, last_day, code, reason.strip()[:200]
        absence.save()
        audit_record(actor=actor, action=AuditEntry.ABSENCE_SAVED, person=absence.person,
                     detail=f"edited: {first_day} to {last_day}, {code.label}")
    return absence


def absence_delete(*, actor, absence: PlannedAbsence) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.ABSENCE_DELETED, person=absence.person,
                     detail=f"{absence.first_day} to {absence.last_day}, {absence.code.label}")
        absence.delete()


# ---------- attendance codes ----------


def _code_clean(*, label: str, category: str, colour: str, code: AttendanceCode | None = None) -> tuple:
    label = " ".join((label or "").split())
    errors = {}
    if not label or len(label) > 40:
        errors["label"] = "A code's label is 1 to 40 characters, e.g. “S: sick”."
    elif AttendanceCode.objects.filter(label__iexact=label).exclude(pk=code.pk if code else None).exists():
        errors["label"] = f"There is a code {label} already."
    if category not in CATEGORIES:
        errors["category"] = f"A code's category is one of: {', '.join(sorted(CATEGORIES))}."
    if not COLOUR.fullmatch(colour or ""):
        errors["colour"] = "A colour is written #rrggbb, e.g. #2e7d32."
    if errors:
        raise ValidationError(errors)
    return label, category, colour.lower()


def code_create(*, actor, label: str, category: str, colour: str = "#888888") -> AttendanceCode:
    label, category, colour = _code_clean(label=label, category=category, colour=colour)
    with transaction.atomic():
        code = AttendanceCode.objects.create(label=label, category=category, colour=colour)
        audit_record(actor=actor, action=AuditEntry.CODE_SAVED, target=label, detail=f"created: {category}, {colour}")
    return code


def code_update(*, actor, code: AttendanceCode, label: str, category: str, colour: str) -> AttendanceCode:
    """A code already used by an absence keeps the excused category (the absence counts as excused)."""
    label, category, colour = _code_clean(label=label, category=category, colour=colour, code=code)
    if category != AttendanceCode.EXCUSED_ABSENCE and PlannedAbsence.objects.filter(code=code).exists():
        raise ValidationError({"category": f"{code.label} is the code of planned absences, which are excused: "
                                           "it stays an excused-absence code."})
    before = f"{code.label}, {code.category}, {code.colour}"
    with transaction.atomic():
        code.label, code.category, code.colour = label, category, colour
        code.save()
        audit_record(actor=actor, action=AuditEntry.CODE_SAVED, target=label,
                     detail=f"{before} → {label}, {category}, {colour}")
    return code


def code_delete(*, actor, code: AttendanceCode) -> None:
    """Only a code nothing uses: a mark, an absence or a register day would lose what it said."""
    used = (PlannedAbsence.objects.filter(code=code).exists() or AttendanceEvent.objects.filter(code=code).exists()
            or RegisterDay.objects.filter(code=code).exists())
    if used:
        raise ValidationError(f"{code.label} is used by absences, marks or register days: it cannot be deleted. "
                              "Edit its label or colour instead.")
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.CODE_DELETED, target=code.label)
        code.delete()


# ---------- cameras' roles ----------


def camera_role_set(*, actor, camera: Camera, role: str) -> CameraRole:
    """Entry (IN), exit (OUT) or presence (SEEN); it counts for the visits named from now on."""
    if role not in ROLES:
        raise ValidationError({"role": f"A camera's role is one of: {', '.join(sorted(ROLES))}."})
    with transaction.atomic():
        current, _ = CameraRole.objects.select_for_update().get_or_create(camera=camera)
        before = current.role
        current.role = role
        current.save(update_fields=["role"])
        audit_record(actor=actor, action=AuditEntry.CAMERA_ROLE_SET, target=camera.name, detail=f"{before} → {role}")
    return current
