import pytest


@pytest.mark.django_db(transaction=True)
def test_it_answers_200_with_a_worker(client, celery_worker):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert celery_worker.hostname in body["workers"]["detail"]
    assert body["database"]["ok"] and body["broker"]["ok"] and body["models"]["ok"]


@pytest.mark.django_db
def test_it_answers_503_naming_the_missing_workers(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "failing: workers"
    assert body["workers"]["detail"] == "no worker answered a ping"


@pytest.mark.django_db
def test_it_names_a_dead_broker(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert not body["broker"]["ok"]
    assert body["workers"]["detail"] == "broker down"
