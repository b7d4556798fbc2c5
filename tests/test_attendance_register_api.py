"""The register through the API: a group's day, its month sheet (the table the downloads have),
the summary, a mark made (one audit entry) and taken back; a viewer reads and corrects only
the groups they are responsible for (404 for the others)."""

import pytest
from rest_framework.test import APIClient

from attendance import rules
from attendance.exports import month_sheet_table
from attendance.models import AttendanceEvent, RegisterDay
from attendance.sheets import month_sheet
from audit.models import AuditEntry
from tests.api import token_key
from tests.register_data import NOV_2, NOV_3, class_of, november

pytestmark = pytest.mark.django_db


@pytest.fixture
def classes(viewer_user, admin_user, media_root):
    mine, theirs = class_of("4B"), class_of("4C")
    mine.responsible.add(viewer_user)
    ada, bea, sick = november(mine, admin_user)
    theirs.members.add(ada)
    return mine, theirs, ada, bea, sick


@pytest.fixture
def api(viewer_user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_key(viewer_user)}")
    return client


def test_it_gives_a_groups_day(api, classes):
    mine, *_ = classes

    body = api.get(f"/api/groups/{mine.pk}/register/?day={NOV_3}").json()

    assert body["day"] == str(NOV_3) and body["counts"]["late"] == 1 and body["counts"]["in"] == 1
    assert [(row["name"], row["status"], row["cell"], row["minutes_late"]) for row in body["rows"]] == [
        ("Ada", rules.LATE, "L", 20), ("Bea", rules.EXCUSED, "S", 0)]
    assert body["rows"][1]["colour"] == "#cc0000" and body["rows"][1]["mark_id"] is not None


def test_it_gives_the_month_sheets_table(api, classes):
    mine, *_ = classes

    body = api.get(f"/api/groups/{mine.pk}/month/2026-11/").json()

    assert body["month"] == "2026-11"
    assert body["table"] == month_sheet_table(month_sheet(group=mine, year=2026, month=11))


def test_it_summarises_the_viewers_groups(api, classes):
    body = api.get("/api/register/summary/?from=2026-11-01&to=2026-11-30").json()

    assert body["table"][1:] == [["4B", 4, 2, 1, 50.0, 50.0]]
    assert body["days"] == [{"day": "2026-11-02", "attended": 1, "expected": 2},
                            {"day": "2026-11-03", "attended": 1, "expected": 2}]
    assert api.get("/api/register/summary/?from=2026-11-30&to=2026-11-01").status_code == 400


def test_it_marks_a_day_and_takes_it_back_one_audit_entry_each(api, classes, viewer_user):
    mine, _, ada, _, sick = classes

    made = api.post(f"/api/groups/{mine.pk}/marks/", {"person_id": ada.pk, "day": str(NOV_2), "status": "absent",
                                                      "code_id": sick.pk, "reason": "ill"}, format="json")
    mark_id = made.json()[0]["id"]
    marked = RegisterDay.objects.get(person=ada, group=mine, day=NOV_2).status
    taken_back = api.delete(f"/api/groups/{mine.pk}/marks/{mark_id}/")

    assert made.status_code == 201 and marked == rules.ABSENT
    assert taken_back.status_code == 204
    assert RegisterDay.objects.get(person=ada, group=mine, day=NOV_2).status == rules.PRESENT
    assert list(AuditEntry.objects.filter(actor=viewer_user).values_list("action", flat=True).order_by("id")) == [
        AuditEntry.ATTENDANCE_MARKED, AuditEntry.ATTENDANCE_UNMARKED]


def test_it_answers_the_services_sentence(api, classes):
    mine, _, ada, _, _ = classes

    response = api.post(f"/api/groups/{mine.pk}/marks/", {"person_id": ada.pk, "day": "2025-12-01",
                                                          "status": "absent"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [
        "2025-12-01 is before Ada was enrolled (2026-01-01): there is no day to correct."]}


def test_it_answers_a_viewer_404_for_another_group(api, classes):
    _, theirs, ada, bea, _ = classes
    mark = AttendanceEvent.objects.get(kind=AttendanceEvent.MARK, person=bea)
    theirs.members.add(bea)

    answers = [api.get(f"/api/groups/{theirs.pk}/register/").status_code,
               api.get(f"/api/groups/{theirs.pk}/month/2026-11/").status_code,
               api.post(f"/api/groups/{theirs.pk}/marks/", {"person_id": ada.pk, "day": str(NOV_2),
                                                            "status": "absent"}, format="json").status_code,
               api.delete(f"/api/groups/{theirs.pk}/marks/{mark.pk}/").status_code]

    assert answers == [404, 404, 404, 404]
    assert AttendanceEvent.objects.filter(kind=AttendanceEvent.MARK, voided_at__isnull=True).count() == 1
