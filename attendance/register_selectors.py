"""The register pages' reads beside attendance.sheets: the marks in force on a group's day (the
one each person's day follows, as attendance.register picks it), and a person's month in each
of their groups."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from attendance.models import AttendanceEvent, Group, RegisterDay
from attendance.sheets import PersonTotals, month_days


def marks_in_force(*, group: Group, day: dt.date) -> dict[int, AttendanceEvent]:
    """{person id: the mark their day in `group` follows}: the latest mark in force of that day
    made for the group or for all the person's groups."""
    marks: dict[int, AttendanceEvent] = {}
    for mark in AttendanceEvent.objects.filter(
            Q(group=group) | Q(group__isnull=True, person__attendance_groups=group), kind=AttendanceEvent.MARK,
            day=day, voided_at__isnull=True).select_related("code").order_by("-created_at", "-id"):
        marks.setdefault(mark.person_id, mark)
    return marks


def group_marks_in_force(*, group: Group) -> QuerySet[AttendanceEvent]:
    """The marks in force that count in `group`'s register (made for it, or for all of a member's groups);
    distinct: the membership join would repeat a mark of a member in several groups."""
    return AttendanceEvent.objects.filter(
        Q(group=group) | Q(group__isnull=True, person__attendance_groups=group),
        kind=AttendanceEvent.MARK, voided_at__isnull=True).select_related("person", "group", "code").distinct()


@dataclass
class GroupMonth:
    group: Group
    cells: list[RegisterDay | None]
    totals: PersonTotals


def person_month(*, person_id: int, groups, year: int, month: int) -> tuple[list[dt.date], list[GroupMonth]]:
    """The person's days of the month in each of `groups` they belong to, with their totals."""
    days = month_days(year, month)
    theirs = list(groups.filter(members=person_id).order_by("name"))
    by_cell = {(row.group_id, row.day): row for row in RegisterDay.objects.filter(
        person_id=person_id, group__in=theirs, day__gte=days[0], day__lte=days[-1]).select_related("code")}
    months = []
    for group in theirs:
        cells, totals = [by_cell.get((group.pk, day)) for day in days], PersonTotals()
        for cell in cells:
            if cell is not None:
                totals.add(cell)
        months.append(GroupMonth(group, cells, totals))
    return days, months


def in_building_now(*, groups, day: dt.date, with_ungrouped: bool) -> list[tuple]:
    """Who is in now on `day` (an IN with no OUT yet) in these groups, and, `with_ungrouped`,
    people in no group: [(person, [group names], first in)], by name. One query."""
    where = Q(group__in=groups) | Q(group__isnull=True) if with_ungrouped else Q(group__in=groups)
    rows = (RegisterDay.objects.filter(where, day=day, in_now=True, person__active=True)
            .select_related("person", "group").order_by("person__name", "person_id", "group__name"))
    people: dict[int, tuple] = {}
    for row in rows:
        person, names, first_in = people.setdefault(row.person_id, (row.person, [], row.first_in))
        if row.group is not None:
            names.append(row.group.name)
    return list(people.values())
