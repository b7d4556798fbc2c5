"""The register setup's web JSON (the API's groups): shapes in attendance.setup_serializers."""

from attendance.models import Group
from attendance.rule_selectors import schedule_in_force
from attendance.setup_selectors import members_of_group
from faceapp.clock import site_date


def group_row(group: Group) -> dict:
    """{id, name, kind, member_count, responsible: [user name]} of a group from groups_overview."""
    return {"id": group.pk, "name": group.name, "kind": group.kind, "member_count": group.member_count,
            "responsible": sorted(user.get_username() for user in group.responsible.all())}


def group_detail(group: Group) -> dict:
    """group_row with its members [{id, name, code}] and today's schedule's id (or null)."""
    members = [{"id": person.pk, "name": person.name, "code": person.code} for person in members_of_group(group=group)]
    in_force = schedule_in_force(group=group, day=site_date())
    return {**group_row(group), "member_count": len(members), "members": members,
            "schedule_in_force": in_force.pk if in_force else None}
