"""The recognition history: every face, filtered (person or stranger, camera, decision, review
state, days) and paged; a group of faces confirmed or rejected in one action; a review undone."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from identity.models import MatchLog
from identity.services import review
from tests.review_data import at, make_camera, make_log, make_person, make_provisional

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def operator(client, operator_user):
    client.force_login(operator_user)
    return client


def _shown(response) -> list[int]:
    return [log.pk for log in response.context["logs"]]


@pytest.fixture
def faces(media_root):
    door, hall = make_camera("Door"), make_camera("Hall")
    ada, bo = make_person("Ada Lovelace", "AL"), make_person("Bo Diddley", "BD")
    stranger = make_provisional("U-0007")
    return {
        "ada_door": make_log(seen_at=at(DAY, 9), person=ada, camera=door),
        "bo_hall": make_log(seen_at=at(DAY, 10), person=bo, camera=hall),
        "stranger": make_log(seen_at=at(DAY + dt.timedelta(days=1), 9), provisional=stranger, camera=door),
    }


def test_it_lists_faces_newest_first(operator, faces):
    response = operator.get(reverse("review-history"))

    assert _shown(response) == [faces["stranger"].pk, faces["bo_hall"].pk, faces["ada_door"].pk]


@pytest.mark.parametrize("filters, expected", [
    ({"who": "ada"}, ["ada_door"]),
    ({"who": "BD"}, ["bo_hall"]),
    ({"who": "U-0007"}, ["stranger"]),
    ({"decision": "unknown"}, ["stranger"]),
    ({"start": "2026-03-03"}, ["stranger"]),
    ({"end": "2026-03-02"}, ["bo_hall", "ada_door"]),
])
def test_it_filters_the_faces(operator, faces, filters, expected):
    assert _shown(operator.get(reverse("review-history"), filters)) == [faces[name].pk for name in expected]


def test_it_filters_by_camera_and_review_state(operator, faces, operator_user):
    review.log_confirm(log=faces["ada_door"], user=operator_user)
    door = faces["ada_door"].snapshot.camera

    assert _shown(operator.get(reverse("review-history"), {"camera": door.pk, "review": "unreviewed"})) == [
        faces["stranger"].pk]


def test_it_pages_fifty_faces_at_a_time(operator, media_root):
    ada = make_person("Ada Lovelace")
    for minute in range(55):
        make_log(seen_at=at(DAY, 9, minute), person=ada)

    first, second = operator.get(reverse("review-history")), operator.get(reverse("review-history"), {"page": 2})

    assert (len(_shown(first)), len(_shown(second))) == (50, 5)


def test_it_rejects_a_group_of_faces_in_one_action(operator, faces):
    chosen = [faces["ada_door"].pk, faces["bo_hall"].pk]
    back = reverse("review-history") + "?decision=known"

    response = operator.post(reverse("review-bulk"), {"action": "reject", "log": chosen, "next": back})

    assert response.status_code == 302 and response.url == back
    assert set(MatchLog.objects.filter(pk__in=chosen).values_list("review_status", flat=True)) == {MatchLog.REJECTED}
    assert AuditEntry.objects.filter(action=AuditEntry.REVIEW_DECIDED).count() == 1


def test_it_refuses_a_group_action_it_does_not_know(operator, faces):
    response = operator.post(reverse("review-bulk"), {"action": "reassign", "log": [faces["ada_door"].pk]}, follow=True)

    assert "A group of faces is confirmed or rejected" in response.content.decode()
    assert MatchLog.objects.get(pk=faces["ada_door"].pk).review_status == MatchLog.UNREVIEWED


def test_it_sends_a_group_action_back_only_to_this_site(operator, faces):
    response = operator.post(reverse("review-bulk"), {"action": "confirm", "log": [faces["ada_door"].pk],
                                                      "next": "https://elsewhere.example/"})

    assert response.url == reverse("review-history")


def test_it_undoes_a_review(operator, faces, operator_user):
    review.log_reject(log=faces["ada_door"], user=operator_user)

    operator.post(reverse("review-undo", args=[faces["ada_door"].pk]))

    assert MatchLog.objects.get(pk=faces["ada_door"].pk).review_status == MatchLog.UNREVIEWED
    page = operator.get(reverse("review-history")).content.decode()
    assert f'<tr data-log="{faces["ada_door"].pk}" data-review="unreviewed">' in page


def test_it_shows_a_persons_rejected_faces_on_their_page_to_undo(operator, faces, operator_user):
    ada_face = faces["ada_door"]
    review.log_reject(log=ada_face, user=operator_user)

    page = operator.get(reverse("person-detail", args=[ada_face.person_id])).content.decode()

    assert 'id="rejections"' in page and reverse("review-undo", args=[ada_face.pk]) in page
