"""The register's reads: a group's daily register, its month sheet (people × days, a code in each
cell, totals per person), and the summary of every group over a period. Each is a few queries
whatever the number of people or days; the pages, the exports and the API all read these."""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count

from attendance import rules
from attendance.models import AttendanceCode, Group, RegisterDay
from faceapp.clock import site_day_bounds
from identity.models import Person, enrolment_complete

# What each derived status counts as when no code says otherwise (Ed-Fi's five categories).
STATUS_CATEGORIES = {
    rules.PRESENT: AttendanceCode.PRESENT, rules.LATE: AttendanceCode.TARDY,
    rules.LEFT_EARLY: AttendanceCode.EARLY_DEPARTURE, rules.EXCUSED: AttendanceCode.EXCUSED_ABSENCE,
    rules.ABSENT: AttendanceCode.UNEXCUSED_ABSENCE,
}
ATTENDED = (AttendanceCode.PRESENT, AttendanceCode.TARDY, AttendanceCode.EARLY_DEPARTURE)
# A cell's letter when no code is set.
STATUS_LETTERS = {
    rules.PRESENT: "P", rules.LATE: "L", rules.LEFT_EARLY: "E", rules.ABSENT: "A", rules.EXCUSED: "X",
    rules.HOLIDAY: "H", rules.NOT_EXPECTED: "", rules.PENDING: "?",
}


def category_of(status: str, code_category: str | None) -> str | None:
    """The category a day counts in: its code's, else its status's (None: not a school or work day)."""
    return code_category or STATUS_CATEGORIES.get(status)


def day_category(row: RegisterDay) -> str | None:
    return category_of(row.status, row.code.category if row.code else None)


def cell_text(row: RegisterDay | None) -> str:
    if row is None:
        return ""
    return row.code.label if row.code else STATUS_LETTERS[row.status]


def members_on(*, group: Group, day: dt.date):
    """The group's active members enrolled by the end of `day`, complete entries only (enrolment_complete)."""
    members = group.members.filter(enrolment_complete(), active=True, created_at__lt=site_day_bounds(day)[1])
    return members.order_by("name", "id")


@dataclass
class DailyRegister:
    group: Group
    day: dt.date
    rows: list[tuple[Person, RegisterDay | None]]
    counts: dict[str, int]  # by status, "expected" and "in_now" too


def daily_register(*, group: Group, day: dt.date) -> DailyRegister:
    members = list(members_on(group=group, day=day))
    days = {row.person_id: row for row in RegisterDay.objects.filter(group=group, day=day).select_related("code")}
    rows = [(person, days.get(person.pk)) for person in members]
    counts = {status: 0 for status in STATUS_LETTERS}
    for _, row in rows:
        counts[row.status if row else rules.PENDING] += 1
    counts["expected"] = sum(1 for _, row in rows if row is None or row.status not in (
        rules.HOLIDAY, rules.NOT_EXPECTED))
    counts["in_now"] = sum(1 for _, row in rows if row and row.in_now)
    return DailyRegister(group, day, rows, counts)


@dataclass
class PersonTotals:
    days_present: int = 0  # present, late or left early
    late: int = 0
    minutes_late: int = 0
    minutes_on_site: int = 0
    absences: dict[str, int] = field(default_factory=lambda: {AttendanceCode.EXCUSED_ABSENCE: 0,
                                                               AttendanceCode.UNEXCUSED_ABSENCE: 0})

    def add(self, row: RegisterDay) -> None:
        category = day_category(row)
        self.days_present += category in ATTENDED
        self.late += category == AttendanceCode.TARDY
        self.minutes_late += row.minutes_late
        self.minutes_on_site += row.minutes_on_site
        if category in self.absences:
            self.absences[category] += 1

    @property
    def hours_on_site(self) -> float:
        return round(self.minutes_on_site / 60, 1)


@dataclass
class MonthSheet:
    group: Group
    days: list[dt.date]
    rows: list[tuple[Person, list[RegisterDay | None], PersonTotals]]


def month_days(year: int, month: int) -> list[dt.date]:
    return [dt.date(year, month, number) for number in range(1, calendar.monthrange(year, month)[1] + 1)]


def month_sheet(*, group: Group, year: int, month: int) -> MonthSheet:
    days = month_days(year, month)
    people = list(members_on(group=group, day=days[-1]))
    by_cell = {(row.person_id, row.day): row for row in RegisterDay.objects.filter(
        group=group, day__gte=days[0], day__lte=days[-1]).select_related("code")}
    rows = []
    for person in people:
        cells, totals = [by_cell.get((person.pk, day)) for day in days], PersonTotals()
        for cell in cells:
            if cell is not None:
                totals.add(cell)
        rows.append((person, cells, totals))
    return MonthSheet(group, days, rows)


@dataclass
class GroupSummary:
    group: Group
    expected: int  # person-days with a category (holidays and days off left out)
    attended: int
    late: int

    @property
    def attendance_rate(self) -> float | None:
        return round(100 * self.attended / self.expected, 1) if self.expected else None

    @property
    def late_rate(self) -> float | None:
        return round(100 * self.late / self.attended, 1) if self.attended else None


def period_summary(*, groups, first_day: dt.date, last_day: dt.date) -> tuple[list[GroupSummary], list[tuple]]:
    """Each group's rates over the period, and per day (day, attended, expected) for the chart:
    counted in the database (one row per group, day, status and code category)."""
    counted = (RegisterDay.objects.filter(group__in=groups, day__gte=first_day, day__lte=last_day)
               .values_list("group_id", "day", "status", "code__category").annotate(count=Count("id")).order_by())
    totals = {group.pk: GroupSummary(group, 0, 0, 0) for group in groups}
    per_day: dict[dt.date, list[int]] = {}
    for group_id, day, status, code_category, count in counted:
        category = category_of(status, code_category)
        if category is None:
            continue
        summary, counts = totals[group_id], per_day.setdefault(day, [0, 0])
        summary.expected += count
        counts[1] += count
        if category in ATTENDED:
            summary.attended += count
            counts[0] += count
        summary.late += count if category == AttendanceCode.TARDY else 0
    return list(totals.values()), [(day, *per_day[day]) for day in sorted(per_day)]
