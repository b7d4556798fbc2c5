"""The register's reads (attendance/sheets.py) and their exports (attendance/exports.py): a
group's daily register and month sheet with totals per person, the summary of every group, and
the same cells as CSV and as XLSX read back with openpyxl."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from attendance import rules
from attendance.corrections import day_mark
from attendance.exports import month_sheet_table, summary_table, table_csv, table_xlsx
from attendance.models import AttendanceCode, AttendanceEvent, Group, RegisterDay, Schedule, ScheduleSession
from attendance.register import person_day_derive
from attendance.sheets import daily_register, month_sheet, period_summary
from tests.review_data import make_person

pytestmark = pytest.mark.django_db
UTC = dt.timezone.utc


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=UTC)


@pytest.fixture
def class_4b():
    group = Group.objects.create(name="4B")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), grace_late=5, absent_after=30)
    for weekday in range(5):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(8), end=dt.time(15))
    return group


def seen(person, day: dt.date, hour: int, minute: int, kind=AttendanceEvent.IN):
    AttendanceEvent.objects.create(person=person, at=at(day, hour, minute), kind=kind)


@pytest.fixture
def november(class_4b, admin_user, media_root):
    """Ada on time on the 2nd and late by 20 min on the 3rd; Bea absent on the 2nd and excused
    (code S) on the 3rd; the register derived for both days."""
    ada, bea = make_person("Ada", "A1"), make_person("Bea", "=B2")
    class_4b.members.add(ada, bea)
    seen(ada, dt.date(2026, 11, 2), 7, 55)
    seen(ada, dt.date(2026, 11, 2), 15, 0, kind=AttendanceEvent.OUT)
    seen(ada, dt.date(2026, 11, 3), 8, 20)
    seen(ada, dt.date(2026, 11, 3), 15, 0, kind=AttendanceEvent.OUT)
    sick = AttendanceCode.objects.create(label="S", category=AttendanceCode.EXCUSED_ABSENCE)
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 3)):
        for person in (ada, bea):
            person_day_derive(person_id=person.pk, day=day, now=at(day, 23))
    day_mark(person=bea, day=dt.date(2026, 11, 3), status=rules.EXCUSED, code=sick, actor=admin_user)
    return ada, bea


def test_it_counts_a_daily_register(class_4b, november):
    register = daily_register(group=class_4b, day=dt.date(2026, 11, 3))

    assert [(person.name, row.status) for person, row in register.rows] == [("Ada", "late"), ("Bea", "excused")]
    assert (register.counts["expected"], register.counts["late"], register.counts["excused"]) == (2, 1, 1)


def test_it_totals_a_month_sheet_per_person(class_4b, november):
    sheet = month_sheet(group=class_4b, year=2026, month=11)

    (ada, ada_cells, ada_totals), (bea, bea_cells, bea_totals) = sheet.rows
    assert len(sheet.days) == 30 and [cell.status for cell in ada_cells[1:3]] == ["present", "late"]
    assert (ada_totals.days_present, ada_totals.late, ada_totals.minutes_late, ada_totals.minutes_on_site) == (
        2, 1, 20, 425 + 400)
    assert ada_totals.hours_on_site == 13.8
    assert (bea_totals.days_present, bea_totals.absences) == (0, {"excused_absence": 1, "unexcused_absence": 1})


def test_it_summarises_every_group_over_a_period(class_4b, november):
    summaries, per_day = period_summary(groups=[class_4b], first_day=dt.date(2026, 11, 1),
                                        last_day=dt.date(2026, 11, 30))

    assert (summaries[0].expected, summaries[0].attended, summaries[0].late) == (4, 2, 1)
    assert (summaries[0].attendance_rate, summaries[0].late_rate) == (50.0, 50.0)
    assert per_day == [(dt.date(2026, 11, 2), 1, 2), (dt.date(2026, 11, 3), 1, 2)]


def test_it_writes_the_same_cells_to_csv_and_xlsx(class_4b, november):
    table = month_sheet_table(month_sheet(group=class_4b, year=2026, month=11))

    workbook = load_workbook(io.BytesIO(table_xlsx(table, title="4B 2026-11")))
    read_back = [["" if value is None else value for value in row] for row in workbook.active.iter_rows(values_only=True)]
    assert read_back == table
    assert table[2][:5] == ["Bea", "=B2", "", "A", "S"]  # the code "=B2" stays text, not a formula
    assert workbook.active["B3"].data_type == "s"
    assert list(csv.reader(io.StringIO(table_csv(table))))[2][:2] == ["Bea", "'=B2"]


def test_it_writes_the_summary_table(class_4b, november):
    summaries, _ = period_summary(groups=[class_4b], first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30))

    assert summary_table(summaries)[1] == ["4B", 4, 2, 1, 50.0, 50.0]


def test_it_leaves_out_a_holiday_from_the_rates(class_4b, november):
    RegisterDay.objects.filter(day=dt.date(2026, 11, 2)).update(status=rules.HOLIDAY)

    summaries, _ = period_summary(groups=[class_4b], first_day=dt.date(2026, 11, 1), last_day=dt.date(2026, 11, 30))
    assert (summaries[0].expected, summaries[0].attended) == (2, 1)
