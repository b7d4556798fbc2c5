"""Who may see and correct which groups: operators and admins every group; a viewer the groups
they are responsible for; nobody else any. A group a user may not read is answered 404, so ids
tell them nothing. A roll call is its group's; one for a list of people (no group), operators'."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from attendance.models import Group, RollCall
from identity.roles import OPERATOR, VIEWER, has_role


def groups_visible_to(user) -> QuerySet[Group]:
    if has_role(user, OPERATOR):
        return Group.objects.all()
    if has_role(user, VIEWER):
        return Group.objects.filter(responsible=user)
    return Group.objects.none()


def may_read_group(user, group: Group) -> bool:
    return has_role(user, OPERATOR) or (has_role(user, VIEWER) and group.responsible.filter(pk=user.pk).exists())


def may_correct_group(user, group: Group) -> bool:
    """The same users as may read it: a responsible viewer corrects their own groups' days."""
    return may_read_group(user, group)


def may_see_groups(user) -> bool:
    """Whether the Groups page has anything for them (the navigation's link)."""
    return has_role(user, OPERATOR) or (has_role(user, VIEWER) and user.responsible_groups.exists())


def group_readable(user, group_id: int) -> Group:
    """The group, or 404 when there is none or the user may not read it."""
    group = groups_visible_to(user).filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group.")
    return group


def group_correctable(user, group_id: int) -> Group:
    """The group whose days the user may correct: 404 as group_readable, 403 for a reader who
    may not correct (pages and API alike)."""
    group = group_readable(user, group_id)
    if not may_correct_group(user, group):
        raise PermissionDenied("Correcting this group's days needs being responsible for it.")
    return group


def roll_call_correctable(user, roll_call_id: int) -> RollCall:
    """The roll call, for those who may correct its group's days (a list of people's: operators);
    404 (or 403, as group_correctable) otherwise."""
    roll_call = RollCall.objects.select_related("group").filter(pk=roll_call_id).first()
    if roll_call is None or (roll_call.group_id is None and not has_role(user, OPERATOR)):
        raise Http404("No such roll call.")
    if roll_call.group_id is not None:
        group_correctable(user, roll_call.group_id)
    return roll_call
