"""The review queue page and its JSON endpoints (decide, item)."""

import datetime as dt
import json

import pytest

from attendance.models import AttendanceRecord
from identity.models import FaceSample, MatchLog, MatchLogReview
from tests.review_data import at, make_log, make_person

DAY = dt.date(2026, 3, 6)

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, operator_user):
    client.force_login(operator_user)
    return client


def test_it_lists_the_least_certain_faces_first(media_root, logged_in):
    alice = make_person("Alice", "A1")
    sure = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.9, threshold=0.3)
    unsure = make_log(seen_at=at(DAY, 10), person=alice, similarity=0.31, threshold=0.3)

    response = logged_in.get("/review/")

    assert response.status_code == 200
    items = response.context["items"]
    assert [item["log_id"] for item in items] == [unsure.pk, sure.pk]
    html = response.content.decode()
    assert 'id="review-items"' in html and "faceapp/review.js" in html and 'data-search-url="/people/search/"' in html


def test_it_offers_people_by_name_or_code_with_their_faces(media_root, logged_in):
    alice, alina = make_person("Alice", "A1"), make_person("Alina", "Z9", with_sample=False)
    make_person("Bob", "B-AL")
    left = make_person("Alfred", "A3")
    left.active = False
    left.save()

    people = logged_in.get("/people/search/", {"q": "al"}).json()["people"]

    assert [person["name"] for person in people] == ["Alice", "Alina", "Bob"]  # names starting with it first
    assert people[0]["crop_url"] == f"/media/samples/{alice.samples.get().pk}/crop" and people[1]["crop_url"] is None
    assert people[1]["id"] == alina.pk and logged_in.get("/people/search/").json() == {"people": []}


def test_it_decides_and_answers_json(media_root, logged_in, operator_user, committed):
    alice, bob = make_person("Alice", "A1"), make_person("Bob", "B2")
    log = make_log(seen_at=at(DAY, 9), person=alice)

    with committed():
        response = logged_in.post(f"/review/{log.pk}/", {"action": "reassign", "person": str(bob.pk)})

    assert response.status_code == 200
    answer = response.json()
    assert answer["ok"] and answer["item"]["review_status"] == "reassigned"
    assert answer["item"]["reviewed_person"] == {"id": bob.pk, "name": "Bob", "code": "B2"}
    log.refresh_from_db()
    assert (log.reviewed_by, log.reviewed_person) == (operator_user, bob)
    assert AttendanceRecord.objects.get(day=DAY).person == bob

    with committed():
        assert logged_in.post(f"/review/{log.pk}/", {"action": "confirm"}).json()["item"]["review_status"] == "confirmed"
        assert logged_in.post(f"/review/{log.pk}/", {"action": "reject", "note": "no"}).json()["item"]["review_status"] == "rejected"
    assert not AttendanceRecord.objects.exists()
    assert MatchLogReview.objects.filter(log=log).count() == 3


def test_it_enrols_a_face_from_the_queue(media_root, logged_in):
    alice = make_person("Alice", "A1")
    log = make_log(seen_at=at(DAY, 9), person=alice)

    answer = logged_in.post(f"/review/{log.pk}/", {"action": "add_sample"}).json()

    assert answer["item"]["review_status"] == "confirmed"
    assert FaceSample.objects.filter(person=alice, source="review", status=FaceSample.ACCEPTED).count() == 1


def test_it_refuses_bad_decisions_with_a_reason(media_root, logged_in):
    log = make_log(seen_at=at(DAY, 9), similarity=0.05)
    for data, message in (
        ({"action": "delete"}, "Unknown action"),
        ({"action": "reassign", "person": "999999"}, "Choose the person"),
        ({"action": "reassign"}, "Choose the person"),
        ({"action": "add_sample"}, "not assigned"),
    ):
        response = logged_in.post(f"/review/{log.pk}/", data)
        assert response.status_code == 400 and message in response.json()["error"]
    assert MatchLog.objects.get(pk=log.pk).review_status == MatchLog.UNREVIEWED
    assert logged_in.post("/review/999999/", {"action": "confirm"}).status_code == 404
    assert logged_in.get(f"/review/{log.pk}/").status_code == 405


def test_it_serves_one_item_for_live_arrivals(media_root, logged_in):
    alice = make_person("Alice", "A1")
    log = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.33)

    item = logged_in.get(f"/review/item?log={log.pk}").json()["item"]

    assert item["log_id"] == log.pk and item["similarity"] == 0.33
    assert item["candidate_crop_url"] == f"/media/samples/{alice.samples.get().pk}/crop"
    assert json.dumps(item)  # JSON-ready


def test_it_is_closed_to_viewers(media_root, client, viewer_user):
    log = make_log(seen_at=at(DAY, 9), similarity=0.05)
    assert client.get("/review/").status_code == 302
    client.force_login(viewer_user)
    assert client.get("/review/").status_code == 403
    assert client.post(f"/review/{log.pk}/", {"action": "confirm"}).status_code == 403
    assert client.get(f"/review/item?log={log.pk}").status_code == 403
    assert MatchLog.objects.get(pk=log.pk).review_status == MatchLog.UNREVIEWED
