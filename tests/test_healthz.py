"""/healthz: liveness for anyone (nothing checked, nothing named), every check for admins."""

import pytest

from identity.models import FaceSample
from tests.api import token_key
from tests.review_data import engine_model_id, make_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_answers_anonymous_callers_alive_naming_no_worker(client, celery_worker):
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert celery_worker.hostname.encode() not in response.content


def test_it_answers_liveness_without_asking_the_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: a check would fail
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_it_answers_operators_liveness_only(client, operator_user, celery_worker):
    client.force_login(operator_user)
    assert client.get("/healthz").json() == {"status": "ok"}


def test_it_answers_an_admin_every_check_with_the_workers_names(client, admin_user, celery_worker):
    client.force_login(admin_user)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert celery_worker.hostname in body["workers"]["detail"]
    assert body["database"]["ok"] and body["broker"]["ok"] and body["models"]["ok"]


def test_it_answers_an_admins_api_token_every_check(client, admin_user, celery_worker):
    body = client.get("/healthz", HTTP_AUTHORIZATION=f"Token {token_key(admin_user)}").json()
    assert celery_worker.hostname in body["workers"]["detail"]


def test_it_answers_a_bad_token_liveness_only(client):
    assert client.get("/healthz", HTTP_AUTHORIZATION="Token not-a-token").json() == {"status": "ok"}


def test_it_answers_an_admin_503_naming_the_missing_workers(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "failing: workers"
    assert body["workers"]["detail"] == "no worker answered a ping"


def test_it_names_a_dead_broker_to_an_admin(client, admin_user, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.force_login(admin_user)
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert not body["broker"]["ok"]
    assert body["workers"]["detail"] == "broker down"


def test_it_names_to_an_admin_the_people_the_active_model_cannot_name(client, admin_user, celery_worker):
    make_person("Enrolled under today's model")
    older = make_person("Enrolled under another model")
    FaceSample.objects.filter(person=older).update(model_id="another_model")  # as after a profile switch
    client.force_login(admin_user)
    response = client.get("/healthz")
    body = response.json()
    assert (response.status_code, body["status"]) == (503, "failing: enrolments")
    assert body["enrolments"]["detail"] == (
        f"1 enrolled person has no photo embedded by {engine_model_id()}, the active profile's model: "
        "no camera can name them until `manage.py reembed` runs")
