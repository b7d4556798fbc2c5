"""The API's JSON bodies (issue 25, item 9): nesting deeper than the parser's limit, or a body over
its size, is a 400 in JSON naming the limit, never a 500; nothing is changed by it."""

import json

import pytest
from django.utils import timezone

from identity.api.parsers import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth
from identity.models import MatchLog, Person
from tests.api import api_client
from tests.review_data import make_log, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(media_root):
    return make_person("Ada", "A-1")


def _send(user, method: str, url: str, body: str):
    return getattr(api_client(user), method)(url, body, content_type="application/json")


def test_it_answers_400_to_5000_nested_brackets_in_a_person_edit(operator_user, ada):
    response = _send(operator_user, "patch", f"/api/people/{ada.pk}/", '{"name": ' + "[" * 5000 + "]" * 5000 + "}")

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json()["detail"]
    assert Person.objects.get(pk=ada.pk).name == "Ada"


def test_it_answers_400_to_5000_nested_brackets_in_a_review(operator_user, ada):
    log = make_log(seen_at=timezone.now(), person=ada)

    response = _send(operator_user, "post", f"/api/logs/{log.pk}/review/", "[" * 5000)

    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert MatchLog.objects.get(pk=log.pk).review_status == MatchLog.UNREVIEWED


def test_it_answers_400_to_nesting_one_level_over_the_limit(operator_user, ada):
    nested = []
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]  # with the body's own object: one level over the limit

    response = _send(operator_user, "patch", f"/api/people/{ada.pk}/", json.dumps({"name": "Bea", "extra": nested}))

    assert response.status_code == 400
    assert Person.objects.get(pk=ada.pk).name == "Ada"


def test_it_answers_400_to_a_body_over_the_size_limit(operator_user, ada):
    body = json.dumps({"name": "Bea", "notes": "x" * MAX_JSON_BYTES})

    response = _send(operator_user, "patch", f"/api/people/{ada.pk}/", body)

    assert response.status_code == 400 and "JSON body is over" in response.json()["detail"]
    assert Person.objects.get(pk=ada.pk).name == "Ada"


def test_it_takes_an_ordinary_body(operator_user, ada):
    response = _send(operator_user, "patch", f"/api/people/{ada.pk}/", json.dumps({"name": "Ada Lovelace"}))

    assert response.status_code == 200
    assert Person.objects.get(pk=ada.pk).name == "Ada Lovelace"


def test_it_counts_nesting_without_recursion():
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep) == 100_001 and json_depth({"a": [1, {"b": 2}]}) == 3 and json_depth(7) == 0
