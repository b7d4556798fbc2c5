"""The period summary (/register/summary/?from=&to=) of the groups a user may read, its chart per
day and its CSV and XLSX (the cells the page shows), and a person's month
(/people/<id>/register/<yyyy-mm>/) in the groups of theirs the user may read."""

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.register_data import cell_values, class_of, november, table_cells

pytestmark = pytest.mark.django_db
PERIOD = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def classes(viewer_user, admin_user, media_root):
    mine, theirs = class_of("4B"), class_of("4C")
    mine.responsible.add(viewer_user)
    ada, bea, _ = november(mine, admin_user)
    return mine, theirs, ada, bea


def test_it_summarises_the_viewers_groups_only_with_a_chart_per_day(client, viewer_user, classes):
    client.force_login(viewer_user)

    page = client.get(f"/register/summary/?{PERIOD}").content.decode()

    cells = table_cells(page, "summary-table")
    assert cells == [["group", "person-days expected", "attended", "late", "attendance rate %", "late rate %"],
                     ["4B", "4", "2", "1", "50.0", "50.0"]]
    assert page.count('<rect class="bar"') == 2 and "<title>02: 50</title>" in page


def test_it_downloads_the_summary_as_the_page_shows_it(client, viewer_user, classes):
    client.force_login(viewer_user)
    cells = table_cells(client.get(f"/register/summary/?{PERIOD}").content.decode(), "summary-table")

    workbook = load_workbook(io.BytesIO(client.get(f"/register/summary.xlsx?{PERIOD}").content))
    from_csv = list(csv.reader(io.StringIO(client.get(f"/register/summary.csv?{PERIOD}").content.decode())))

    assert cell_values(workbook.active.iter_rows(values_only=True)) == cell_values(cells)
    assert from_csv == cells


def test_it_refuses_a_period_backwards_or_too_long(client, viewer_user, classes):
    client.force_login(viewer_user)

    backwards = client.get("/register/summary/?from=2026-11-30&to=2026-11-01")
    too_long = client.get("/register/summary.csv?from=2024-01-01&to=2026-11-01")

    assert (backwards.status_code, too_long.status_code) == (400, 400)
    assert backwards.content.decode() == "to must be on or after from, at most 366 days later."


def test_it_shows_a_persons_month_in_the_viewers_groups_only(client, viewer_user, classes):
    mine, theirs, ada, bea = classes
    theirs.members.add(ada)
    client.force_login(viewer_user)

    page = client.get(f"/people/{ada.pk}/register/2026-11/").content.decode()
    outsider = client.get(f"/people/{bea.pk}/register/2026-11/")
    mine.members.remove(bea)

    assert "4B" in page and "4C" not in page and "<dd>13.8</dd>" in page
    assert outsider.status_code == 200
    assert client.get(f"/people/{bea.pk}/register/2026-11/").status_code == 404  # in none of the viewer's groups
