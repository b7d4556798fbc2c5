"""The API's smaller hardening (issue 13, item 10): one rate limit per user whatever the
credentials, and an enrolment whose every photo is rejected enrols nobody (422)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from identity.models import FaceSample, Person
from tests import faces_data
from tests.api import api_client

URL = "/api/people/"


def _not_an_image(name: str = "notes.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"these are not pixels", content_type="image/jpeg")


def _wall() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 240), (128, 128, 128)).save(buffer, "JPEG")
    return SimpleUploadedFile("wall.jpg", buffer.getvalue(), content_type="image/jpeg")


def _face(name: str = "lfw_person_a_1.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, faces_data.photo(name), content_type="image/jpeg")


@pytest.fixture
def long_wait(settings):
    settings.FACEAPP_API_WAIT_SECONDS = 120  # generous: the first photo also loads the models


@pytest.mark.django_db
def test_it_counts_a_users_token_and_session_as_one(settings, operator_user):
    settings.FACEAPP_RATE_API_PER_MINUTE = 4
    token, session = api_client(operator_user), APIClient()
    session.force_login(operator_user)

    codes = [client.get("/api/attendance/").status_code for client in (token, session, token, session, token, session)]

    assert codes == [200, 200, 200, 200, 429, 429]
    assert "per minute for this user" in session.get("/api/attendance/").json()["detail"]


@pytest.mark.django_db
def test_it_still_counts_two_users_apart(settings, operator_user, django_user_model):
    settings.FACEAPP_RATE_API_PER_MINUTE = 1
    other = django_user_model.objects.create_user(username="other-operator")
    other.groups.add(*operator_user.groups.all())
    assert api_client(operator_user).get("/api/attendance/").status_code == 200
    assert api_client(other).get("/api/attendance/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_answers_422_and_enrols_nobody_when_every_photo_is_refused_at_the_door(operator_user, media_root):
    response = api_client(operator_user).post(
        URL, {"name": "Ada", "code": "A1", "consent": "true", "photos": [_not_an_image(), _not_an_image("b.jpg")]}
    )

    assert response.status_code == 422, response.json()
    body = response.json()
    assert "nobody was enrolled" in body["error"]
    assert [(p["filename"], p["status"]) for p in body["photos"]] == [("notes.jpg", "rejected"), ("b.jpg", "rejected")]
    assert all(p["reason"] for p in body["photos"])
    assert not Person.objects.exists() and not FaceSample.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_answers_422_when_the_worker_rejects_every_photo(operator_user, media_root, celery_worker, long_wait):
    response = api_client(operator_user).post(
        URL, {"name": "Ada", "code": "A1", "consent": "true", "photos": [_wall(), _not_an_image()]}
    )

    assert response.status_code == 422, response.json()
    assert "no face" in response.json()["photos"][0]["reason"].lower()
    assert not Person.objects.exists()
    assert faces_data.media_files(media_root) == []  # the rejected photo went with its person


@pytest.mark.django_db(transaction=True)
def test_it_takes_the_same_code_again_after_a_refused_enrolment(operator_user, media_root, celery_worker, long_wait):
    client = api_client(operator_user)
    assert client.post(URL, {"name": "Ada", "code": "A1", "consent": "true", "photos": [_wall()]}).status_code == 422

    response = client.post(URL, {"name": "Ada", "code": "A1", "consent": "true", "photos": [_face(), _wall()]})

    assert response.status_code == 201, response.json()
    assert [p["status"] for p in response.json()["photos"]] == ["accepted", "rejected"]
    assert Person.objects.get().code == "A1"
