"""A group's month sheet page (/groups/<id>/month/<yyyy-mm>/) and its downloads: the XLSX read back
with openpyxl and the CSV hold exactly the cells the page's table shows; a viewer gets their
groups' sheets only; a month that does not exist is 404."""

import csv
import io

import pytest
from openpyxl import load_workbook

from faceapp.spreadsheet import csv_safe
from tests.register_data import cell_values, class_of, november, table_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes(viewer_user, admin_user, media_root):
    mine, theirs = class_of("4B"), class_of("4C")
    mine.responsible.add(viewer_user)
    november(mine, admin_user)
    return mine, theirs


@pytest.fixture
def page_cells(client, viewer_user, classes) -> list[list[str]]:
    client.force_login(viewer_user)
    page = client.get(f"/groups/{classes[0].pk}/month/2026-11/")
    assert page.status_code == 200
    return table_cells(page.content.decode(), "month-sheet")


def test_it_shows_people_by_days_with_totals(page_cells):
    header, ada, bea = page_cells

    assert header[:4] == ["person", "code", "1", "2"] and header[-6:] == [
        "days present", "late", "minutes late", "hours on site", "excused absences", "unexcused absences"]
    assert ada[:5] == ["Ada", "A1", "", "P", "L"] and ada[-6:] == ["2", "1", "20", "13.8", "0", "0"]
    assert bea[:5] == ["Bea", "=B2", "", "A", "S"] and bea[-6:] == ["0", "0", "0", "0.0", "1", "1"]


def test_it_downloads_the_xlsx_of_the_cells_the_page_shows(client, classes, page_cells):
    response = client.get(f"/groups/{classes[0].pk}/month/2026-11.xlsx")

    assert response["Content-Disposition"] == 'attachment; filename="4b-2026-11.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert cell_values(sheet.iter_rows(values_only=True)) == cell_values(page_cells)
    assert sheet.cell(row=3, column=2).data_type == "s"  # "=B2" is text, never a formula


def test_it_downloads_the_csv_of_the_cells_the_page_shows(client, classes, page_cells):
    response = client.get(f"/groups/{classes[0].pk}/month/2026-11.csv")

    read_back = list(csv.reader(io.StringIO(response.content.decode())))
    assert read_back == [[csv_safe(cell) for cell in row] for row in page_cells]  # "=B2" as '=B2: text in a spreadsheet


def test_it_answers_a_viewer_404_for_another_groups_sheet(client, viewer_user, classes):
    _, theirs = classes
    client.force_login(viewer_user)

    assert [client.get(f"/groups/{theirs.pk}/month/2026-11{end}").status_code for end in ("/", ".csv", ".xlsx")] == [
        404, 404, 404]


def test_it_answers_404_for_a_month_that_does_not_exist(client, viewer_user, classes):
    client.force_login(viewer_user)

    assert client.get(f"/groups/{classes[0].pk}/month/2026-13/").status_code == 404
    assert client.get(f"/groups/{classes[0].pk}/month/0000-01/").status_code == 404
