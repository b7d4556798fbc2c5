"""POST /api/logs/<id>/review/: confirm, reject, reassign or undo a face through the API, as the
review page does (operators, audited as the token's user); the answer is the face as /api/logs/
lists it."""

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from identity.models import MatchLog, MatchLogReview
from tests.api import api_client
from tests.review_data import make_log, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(media_root):
    return make_person("Ada", "A-1")


@pytest.fixture
def log(ada):
    return make_log(seen_at=timezone.now(), person=ada)


def _review(user, log, **body):
    return api_client(user).post(f"/api/logs/{log.pk}/review/", body, format="json")


def test_it_confirms_a_face_and_answers_it_as_the_log_list_does(operator_user, log):
    response = _review(operator_user, log, action="confirm")

    assert response.status_code == 200, response.json()
    (listed,) = api_client(operator_user).get("/api/logs/").json()["results"]
    assert response.json() == listed
    assert listed["review_status"] == "confirmed"
    assert listed["reviewed_person"] == {"id": log.person_id, "name": "Ada", "code": "A-1"}


def test_it_audits_a_review_as_the_tokens_user(operator_user, log):
    _review(operator_user, log, action="confirm")

    entry = AuditEntry.objects.get(action=AuditEntry.REVIEW_DECIDED)
    assert (entry.actor, entry.target) == (operator_user, f"face #{log.pk}")
    assert MatchLogReview.objects.get(log=log).user == operator_user


def test_it_rejects_a_face_with_a_note(operator_user, log):
    response = _review(operator_user, log, action="reject", note="her sister")

    assert response.status_code == 200, response.json()
    assert (response.json()["review_status"], response.json()["reviewed_person"]) == ("rejected", None)
    log.refresh_from_db()
    assert (log.review_status, log.review_note, log.reviewed_by) == (MatchLog.REJECTED, "her sister", operator_user)


def test_it_reassigns_a_face_to_another_person(operator_user, log):
    bob = make_person("Bob", "B-2")

    response = _review(operator_user, log, action="reassign", person=bob.pk)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["review_status"], body["reviewed_person"]["id"]) == ("reassigned", bob.pk)
    assert body["person"]["id"] == log.person_id  # what the system decided stays
    log.refresh_from_db()
    assert log.reviewed_person == bob


def test_it_asks_who_a_reassigned_face_is(operator_user, log):
    response = _review(operator_user, log, action="reassign")

    assert response.status_code == 400
    assert "person" in response.json()
    log.refresh_from_db()
    assert log.review_status == MatchLog.UNREVIEWED


def test_it_refuses_a_reassignment_to_nobody_enrolled(operator_user, log):
    response = _review(operator_user, log, action="reassign", person=987654)

    assert response.status_code == 400
    assert "person" in response.json()


def test_it_undoes_a_review(operator_user, log):
    _review(operator_user, log, action="reject")

    response = _review(operator_user, log, action="undo")

    assert response.status_code == 200, response.json()
    assert (response.json()["review_status"], response.json()["reviewed_person"]) == ("unreviewed", None)
    assert AuditEntry.objects.filter(action=AuditEntry.REVIEW_UNDONE, actor=operator_user).count() == 1


def test_it_answers_400_with_the_services_reason_to_an_undo_of_an_unreviewed_face(operator_user, log):
    response = _review(operator_user, log, action="undo")

    assert response.status_code == 400
    assert response.json() == {"error": "This face is not reviewed: there is nothing to undo."}


def test_it_refuses_an_unknown_action(operator_user, log):
    response = _review(operator_user, log, action="add_sample")

    assert response.status_code == 400
    assert "action" in response.json()


def test_it_answers_404_for_a_face_that_does_not_exist(operator_user, media_root):
    response = api_client(operator_user).post("/api/logs/987654/review/", {"action": "confirm"}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize("action", ["confirm", "reject", "reassign", "undo"])
def test_it_answers_403_to_a_viewers_token(viewer_user, log, action):
    response = _review(viewer_user, log, action=action, person=log.person_id)

    assert response.status_code == 403
    assert "operator" in response.json()["detail"]
    log.refresh_from_db()
    assert log.review_status == MatchLog.UNREVIEWED and not log.reviews.exists()
