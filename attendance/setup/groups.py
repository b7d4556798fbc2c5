"""Groups (classes, teams, departments), their members and the users responsible for them."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from attendance.models import Group
from audit.models import AuditEntry
from audit.services import audit_record
from identity.models import Person
from identity.roles import role_of

KINDS = {kind for kind, _ in Group.KIND_CHOICES}


def _name_clean(name: str, *, group: Group | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "A group needs a name."})
    if len(name) > Group._meta.get_field("name").max_length:
        raise ValidationError({"name": "A group's name is at most 100 characters."})
    taken = Group.objects.filter(name__iexact=name).exclude(pk=group.pk if group else None)
    if taken.exists():
        raise ValidationError({"name": f"There is a group called {name} already."})
    return name


def _kind_clean(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError({"kind": f"A group is a class, a team or a department, not {kind!r}."})
    return kind


def group_create(*, actor, name: str, kind: str = Group.CLASS) -> Group:
    name, kind = _name_clean(name), _kind_clean(kind)
    with transaction.atomic():
        group = Group.objects.create(name=name, kind=kind)
        audit_record(actor=actor, action=AuditEntry.GROUP_SAVED, target=group.name, detail=f"created ({kind})")
    return group


def group_update(*, actor, group: Group, name: str, kind: str) -> Group:
    name, kind = _name_clean(name, group=group), _kind_clean(kind)
    before = f"{group.name} ({group.kind})"
    with transaction.atomic():
        group.name, group.kind = name, kind
        group.save(update_fields=["name", "kind"])
        audit_record(actor=actor, action=AuditEntry.GROUP_SAVED, target=group.name, detail=f"{before} → {name} ({kind})")
    return group


def group_delete(*, actor, group: Group) -> None:
    """Only a group with no day in the register yet: deleting one would take its history with it."""
    days = group.days.count()
    if days:
        raise ValidationError(f"{group.name} has {days} days in the register: deleting it would lose them. "
                              "Remove its members, or end its schedule with one that has no sessions.")
    with transaction.atomic():
        audit_record(actor=actor, action=AuditEntry.GROUP_DELETED, target=group.name)
        group.delete()


def group_members_add(*, actor, group: Group, people: Iterable[Person]) -> int:
    """Adds those not in the group yet (one audit entry each); returns how many were added."""
    people = list(people)
    # Two operators adding the same person at once: the through table's unique pair keeps one row.
    with transaction.atomic():
        there = set(group.members.filter(pk__in=[person.pk for person in people]).values_list("pk", flat=True))
        new = [person for person in dict.fromkeys(people) if person.pk not in there]
        group.members.add(*new)
        for person in new:
            audit_record(actor=actor, action=AuditEntry.GROUP_MEMBER_ADDED, person=person, target=group.name)
    return len(new)


def group_members_remove(*, actor, group: Group, people: Iterable[Person]) -> int:
    """Removes those in the group (their days in its register stay); returns how many were removed."""
    people = list(people)
    with transaction.atomic():
        there = group.members.filter(pk__in=[person.pk for person in people])
        gone = list(there)
        group.members.remove(*gone)
        for person in gone:
            audit_record(actor=actor, action=AuditEntry.GROUP_MEMBER_REMOVED, person=person, target=group.name)
    return len(gone)


def group_responsible_set(*, actor, group: Group, users: Iterable) -> None:
    """The users who read (and correct) the group's attendance; each must have a role, as a user
    without one sees no page at all."""
    users = list(dict.fromkeys(users))
    roleless = [user.get_username() for user in users if role_of(user) is None]
    if roleless:
        raise ValidationError({"responsible": f"{', '.join(roleless)} has no role (or is deactivated): give "
                                              "them the viewer role first."})
    names = ", ".join(sorted(user.get_username() for user in users)) or "nobody"
    with transaction.atomic():
        group.responsible.set(users)
        audit_record(actor=actor, action=AuditEntry.GROUP_RESPONSIBLE_SET, target=group.name, detail=names)
