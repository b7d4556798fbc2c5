"""Reads of the register's setup for its pages and API: groups with their counts and schedules,
the calendar, the users who may be made responsible for a group."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from attendance.access import groups_visible_to
from attendance.models import AttendanceCode, CameraRole, Closure, Group, PlannedAbsence, Schedule
from identity.roles import ROLES


def groups_overview(*, user) -> QuerySet[Group]:
    """The groups the user may see, each with `member_count` and its responsible users."""
    return groups_visible_to(user).annotate(member_count=Count("members", distinct=True)).prefetch_related("responsible")


def group_schedules(*, group: Group, today: dt.date) -> list[Schedule]:
    """The group's schedules, newest first, with their sessions; each with `state`: "coming" (it
    starts after today), "in force" or "past" (one that a later schedule replaced)."""
    schedules = list(group.schedules.prefetch_related("sessions"))
    in_force = next((schedule for schedule in schedules if schedule.starts_on <= today), None)
    for schedule in schedules:
        schedule.state = ("coming" if schedule.starts_on > today else "in force" if schedule is in_force else "past")
        schedule.editable = schedule.starts_on >= today
    return schedules


def members_of_group(*, group: Group):
    return group.members.order_by("name", "id").only("id", "name", "code", "active")


def responsible_candidates() -> QuerySet:
    """Active users with a role: those a group can be given to."""
    with_role = Q(groups__name__in=ROLES) | Q(is_superuser=True)
    return get_user_model().objects.filter(with_role, is_active=True).distinct().order_by("username")


def closures_list() -> QuerySet[Closure]:
    return Closure.objects.prefetch_related("groups")


def codes_list() -> QuerySet[AttendanceCode]:
    return AttendanceCode.objects.all()


def absences_list(*, since: dt.date) -> QuerySet[PlannedAbsence]:
    """Planned absences that end on or after `since`, with their person and code."""
    return PlannedAbsence.objects.filter(last_day__gte=since).select_related("person", "code").order_by("first_day", "id")


def person_setup(*, person) -> dict:
    """A person's groups and planned absences (newest first), for their page."""
    return {"groups": list(person.attendance_groups.order_by("name")),
            "absences": list(person.planned_absences.select_related("code"))}


def camera_role_of(*, camera) -> str:
    """The camera's role: presence when none was set."""
    role = CameraRole.objects.filter(camera=camera).values_list("role", flat=True).first()
    return role or CameraRole.PRESENCE

