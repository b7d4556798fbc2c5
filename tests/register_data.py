"""The register pages' set-ups (helpers, not tests): a class 4B with one session 08:00-15:00 Monday
to Friday, Ada and Bea in it, a November of days derived, a viewer responsible for 4B only, and
the cells of a page's table read back from its HTML."""

import datetime as dt
from html.parser import HTMLParser

from attendance import rules
from attendance.corrections import day_mark
from attendance.models import AttendanceCode, AttendanceEvent, Group, Schedule, ScheduleSession
from attendance.register import person_day_derive
from tests.review_data import make_person

UTC = dt.timezone.utc
NOV_2, NOV_3 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


def class_of(name: str) -> Group:
    group = Group.objects.create(name=name)
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 1, 1), grace_late=5, absent_after=30)
    for weekday in range(5):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(8), end=dt.time(15))
    return group


def november(group: Group, actor) -> tuple:
    """Ada on time on the 2nd and late by 20 min on the 3rd; Bea absent on the 2nd and excused
    (code S, red) on the 3rd by a mark."""
    ada, bea = make_person("Ada", "A1"), make_person("Bea", "=B2")
    group.members.add(ada, bea)
    for day, hour, minute, kind in ((NOV_2, 7, 55, AttendanceEvent.IN), (NOV_2, 15, 0, AttendanceEvent.OUT),
                                    (NOV_3, 8, 20, AttendanceEvent.IN), (NOV_3, 15, 0, AttendanceEvent.OUT)):
        AttendanceEvent.objects.create(person=ada, at=at(day, hour, minute), kind=kind)
    sick = AttendanceCode.objects.create(label="S", category=AttendanceCode.EXCUSED_ABSENCE, colour="#cc0000")
    for day in (NOV_2, NOV_3):
        for person in (ada, bea):
            person_day_derive(person_id=person.pk, day=day, now=at(day, 23))
    day_mark(person=bea, day=NOV_3, status=rules.EXCUSED, code=sick, actor=actor)
    return ada, bea, sick


class _Cells(HTMLParser):
    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (self.depth or attrs.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th") and "no-print" not in (attrs.get("class") or ""):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each cell of the page's table (header row first); columns marked no-print left out."""
    parser = _Cells(table_id)
    parser.feed(html)
    return parser.rows


def as_text(table: list[list]) -> list[list[str]]:
    """A table's cells as a page writes them (numbers as text, None as empty)."""
    return [["" if value is None else str(value) for value in row] for row in table]


def cell_values(rows) -> list[list]:
    """Cells compared as values: numbers as numbers (a spreadsheet keeps 0.0 as 0), the rest as text."""
    def value(cell):
        text = "" if cell is None else str(cell)
        try:
            return float(text)
        except ValueError:
            return text

    return [[value(cell) for cell in row] for row in rows]
