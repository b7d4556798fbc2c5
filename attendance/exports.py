"""The register's sheets as tables (header, then rows of text and numbers), written once and
given as CSV or XLSX (openpyxl): the same cells the pages show."""

import csv
import io

from openpyxl import Workbook

from attendance.models import AttendanceCode
from attendance.sheets import GroupSummary, MonthSheet, cell_text
from faceapp.spreadsheet import csv_safe


def month_sheet_table(sheet: MonthSheet) -> list[list]:
    header = ["person", "code", *[str(day.day) for day in sheet.days], "days present", "late", "minutes late",
              "hours on site", "excused absences", "unexcused absences"]
    rows = [[person.name, person.code or "", *[cell_text(cell) for cell in cells], totals.days_present,
             totals.late, totals.minutes_late, totals.hours_on_site,
             totals.absences[AttendanceCode.EXCUSED_ABSENCE], totals.absences[AttendanceCode.UNEXCUSED_ABSENCE]]
            for person, cells, totals in sheet.rows]
    return [header, *rows]


def summary_table(summaries: list[GroupSummary]) -> list[list]:
    header = ["group", "person-days expected", "attended", "late", "attendance rate %", "late rate %"]
    rows = [[summary.group.name, summary.expected, summary.attended, summary.late,
             "" if summary.attendance_rate is None else summary.attendance_rate,
             "" if summary.late_rate is None else summary.late_rate] for summary in summaries]
    return [header, *rows]


def table_csv(table: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in table:
        writer.writerow([csv_safe(value) if isinstance(value, str) else value for value in row])
    return out.getvalue()


def table_xlsx(table: list[list], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]  # Excel's limit on a sheet's name
    for row in table:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text as typed, never run as a formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
