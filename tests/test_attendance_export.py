"""CSV export of attendance: it matches the database for a day with known, corrected and
unknown faces; bad ranges get a clear 400; only operators and admins may export."""

import csv
import datetime as dt
import io

import pytest

from attendance.models import AttendanceRecord
from attendance.services import attendance_mark
from faceapp.clock import clock_text
from identity.models import Person
from identity.services import review
from tests.review_data import at, make_camera, make_log, make_person

DAY = dt.date(2026, 3, 5)

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_it_exports_the_reviewed_truth_of_a_day(media_root, client, operator_user, committed):
    alice, bob, carol = make_person("Alice", "A1"), make_person("Bob", "B2"), make_person("Carol")
    door, hall = make_camera("Door"), make_camera("Hall")
    # Known faces, as the worker would have recorded them.
    for log in (
        make_log(seen_at=at(DAY, 8, 15), person=alice, camera=door),
        make_log(seen_at=at(DAY, 16, 45), person=alice, camera=hall),
        make_log(seen_at=at(DAY, 9, 0), person=carol, camera=door),
    ):
        attendance_mark(person_ids=[log.person_id], seen_at=log.snapshot.received_at, camera_id=log.snapshot.camera_id)
    # Corrected: Carol's face was Bob's; an unknown face at 10:30 was Bob too.
    carol_log = make_log(seen_at=at(DAY, 11, 0), person=carol, camera=hall)
    attendance_mark(person_ids=[carol.pk], seen_at=at(DAY, 11, 0), camera_id=hall.pk)
    with committed():
        review.log_reassign(log=carol_log, person=bob, user=operator_user)
        review.log_reassign(log=make_log(seen_at=at(DAY, 10, 30), best_person=bob, similarity=0.2, camera=door),
                            person=bob, user=operator_user)
    # Unknown faces that stay unknown, and the day after: not in this export.
    make_log(seen_at=at(DAY, 12, 0), similarity=0.05, camera=door)
    make_log(seen_at=at(DAY + dt.timedelta(days=1), 9, 0), person=alice, camera=door)
    client.force_login(operator_user)

    rows = _rows(client.get("/attendance-export.csv", {"start": "2026-03-05", "end": "2026-03-05"}))

    assert rows == [  # the site's clock (UTC in the tests), written as the pages write it
        ["person", "code", "day", "first_seen", "last_seen", "camera"],
        ["Alice", "A1", "2026-03-05", "2026-03-05 08:15:00+00:00", "2026-03-05 16:45:00+00:00", "Hall"],
        ["Carol", "", "2026-03-05", "2026-03-05 09:00:00+00:00", "2026-03-05 09:00:00+00:00", "Door"],
        ["Bob", "B2", "2026-03-05", "2026-03-05 10:30:00+00:00", "2026-03-05 11:00:00+00:00", "Hall"],
    ]
    local = clock_text
    database = {
        (r.person.name, r.day.isoformat(), local(r.first_seen), local(r.last_seen), r.camera.name)
        for r in AttendanceRecord.objects.filter(day=DAY).select_related("person", "camera")
    }
    assert database == {(row[0], row[2], row[3], row[4], row[5]) for row in rows[1:]}


def test_it_exports_a_range_and_defuses_spreadsheet_formulas(media_root, client, operator_user):
    sneaky = make_person("=HYPERLINK(1)", with_sample=False)
    for day in (DAY, DAY + dt.timedelta(days=2)):
        attendance_mark(person_ids=[sneaky.pk], seen_at=at(day, 9), camera_id=None)
    client.force_login(operator_user)

    rows = _rows(client.get("/attendance-export.csv", {"start": "2026-03-04", "end": "2026-03-07"}))

    assert [(row[0], row[2]) for row in rows[1:]] == [("'=HYPERLINK(1)", "2026-03-05"), ("'=HYPERLINK(1)", "2026-03-07")]


def test_it_refuses_bad_ranges_clearly(client, operator_user):
    client.force_login(operator_user)
    for params, message in (
        ({"start": "2026-13-01", "end": "2026-03-05"}, "YYYY-MM-DD"),
        ({"start": "2026-03-05", "end": "2026-03-01"}, "on or after"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "at most"),
    ):
        response = client.get("/attendance-export.csv", params)
        assert response.status_code == 400 and message in response.content.decode()


def test_it_is_closed_to_viewers_and_strangers(client, viewer_user):
    assert client.get("/attendance-export.csv").status_code == 302
    client.force_login(viewer_user)
    assert client.get("/attendance-export.csv").status_code == 403


def test_it_shows_a_day_page_with_the_arrivals_chart(media_root, client, operator_user):
    alice = make_person("Alice", "A1", with_sample=False)
    make_person("Bob", with_sample=False)
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 8, 15), camera_id=None)
    client.force_login(operator_user)

    response = client.get("/attendance/2026-03-05/")

    html = response.content.decode()
    assert response.status_code == 200 and "Alice" in html and "Present (1)" in html and "Not seen (1)" in html
    assert html.count('<rect class="bar"') == 24 and "08: 1" in html
    assert client.get("/attendance/2026-02-30/").status_code == 404
    assert client.get("/attendance/").status_code == 200


def test_it_adds_the_people_not_seen_each_day_when_asked(media_root, client, operator_user):
    alice, bob = make_person("Alice", "A1", with_sample=False), make_person("Bob", with_sample=False)
    attendance_mark(person_ids=[alice.pk], seen_at=at(DAY, 8, 15), camera_id=None)
    attendance_mark(person_ids=[bob.pk], seen_at=at(DAY + dt.timedelta(days=1), 9, 0), camera_id=None)
    client.force_login(operator_user)

    rows = _rows(client.get("/attendance-export.csv", {"start": "2026-03-05", "end": "2026-03-06", "absent": "1"}))

    assert [(row[0], row[2], row[3] != "") for row in rows[1:]] == [
        ("Alice", "2026-03-05", True), ("Bob", "2026-03-05", False), ("Bob", "2026-03-06", True), ("Alice", "2026-03-06", False),
    ]


def test_it_does_not_list_on_a_past_day_someone_enrolled_later(media_root, client, operator_user):
    make_person("Alice", "A1", with_sample=False)
    Person.objects.create(name="Newcomer", created_at=at(DAY + dt.timedelta(days=1), 10))
    client.force_login(operator_user)

    on_the_day = client.get("/attendance/2026-03-05/").context["absent"]
    day_after = client.get("/attendance/2026-03-06/").context["absent"]

    assert [row["name"] for row in on_the_day] == ["Alice"]
    assert [row["name"] for row in day_after] == ["Alice", "Newcomer"]
