"""POST/GET /api/people/: enrolment through the API, with a real worker on real photos."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from rest_framework.test import APIClient

from identity.models import FaceSample, Person
from tests.api import api_client, fixture_upload

URL = "/api/people/"


def faceless_jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (240, 240), (128, 128, 128)).save(buffer, "JPEG")
    return SimpleUploadedFile("wall.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def long_wait(settings):
    # Generous: the first call also loads the models into the worker.
    settings.FACEAPP_API_WAIT_SECONDS = 120


@pytest.mark.django_db(transaction=True)
def test_it_enrols_a_person_and_reports_each_photo(operator_user, media_root, celery_worker, long_wait):
    client = api_client(operator_user)
    photos = [
        fixture_upload("lfw_person_a_1.jpg"),
        fixture_upload("lfw_person_a_2.jpg"),
        faceless_jpeg(),
        SimpleUploadedFile("notes.jpg", b"these are not pixels", content_type="image/jpeg"),
    ]
    response = client.post(URL, {"name": "Aaron Peirsol", "code": "AP-1", "consent": "true", "photos": photos})

    assert response.status_code == 201, response.json()
    body = response.json()
    person = Person.objects.get()
    assert body["person"] == {"id": person.id, "name": "Aaron Peirsol", "code": "AP-1"}
    filenames = ["lfw_person_a_1.jpg", "lfw_person_a_2.jpg", "wall.jpg", "notes.jpg"]
    assert [p["filename"] for p in body["photos"]] == filenames
    assert [p["status"] for p in body["photos"]] == ["accepted", "accepted", "rejected", "rejected"]
    assert "no face" in body["photos"][2]["reason"].lower()
    assert body["photos"][3]["reason"]
    assert body["photos"][0]["reason"] == ""

    detail = client.get(body["status_url"]).json()
    assert [x["status"] for x in detail["samples"]] == ["accepted", "accepted", "rejected", "rejected"]
    assert detail["samples"][0]["crop_url"] == f"/media/samples/{detail['samples'][0]['id']}/crop"

    listing = client.get(URL).json()
    assert listing["count"] == 1
    assert listing["results"][0]["accepted_samples"] == 2
    assert listing["results"][0]["display_id"] == "AP-1"


@pytest.mark.django_db
def test_it_answers_202_with_a_status_url_while_photos_are_pending(operator_user, media_root, settings):
    settings.FACEAPP_API_WAIT_SECONDS = 0  # and no worker runs: the photo stays pending
    client = api_client(operator_user)

    response = client.post(URL, {"name": "Aaron", "consent": "true", "photos": [fixture_upload("lfw_person_a_1.jpg")]})

    assert response.status_code == 202, response.json()
    body = response.json()
    person = Person.objects.get()
    assert body["status_url"] == f"http://testserver/api/people/{person.id}/"
    assert response["Location"] == body["status_url"]
    assert [p["status"] for p in body["photos"]] == ["pending"]
    detail = client.get(body["status_url"])
    assert detail.status_code == 200
    assert detail.json()["samples"][0]["status"] == "pending"
    assert detail.json()["code"] is None


@pytest.mark.django_db
def test_it_refuses_enrolment_without_consent(operator_user, media_root):
    client = api_client(operator_user)

    response = client.post(URL, {"name": "Aaron", "photos": [fixture_upload("lfw_person_a_1.jpg")]})

    assert response.status_code == 400
    assert "consent" in response.json()["consent"][0].lower()
    assert not Person.objects.exists() and not FaceSample.objects.exists()


@pytest.mark.django_db
def test_it_reports_each_invalid_field(operator_user, media_root):
    client = api_client(operator_user)

    response = client.post(URL, {"name": "", "consent": "true"})

    assert response.status_code == 400
    assert set(response.json()) == {"name", "photos"}
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_code_already_taken(operator_user, media_root):
    Person.objects.create(name="Taken", code="AP-1")
    client = api_client(operator_user)

    photos = [fixture_upload("lfw_person_a_1.jpg")]
    response = client.post(URL, {"name": "Aaron", "code": " AP-1 ", "consent": "true", "photos": photos})

    assert response.status_code == 400
    assert "already has the code" in response.json()["code"][0]
    assert Person.objects.count() == 1 and not FaceSample.objects.exists()


@pytest.mark.django_db
def test_it_answers_413_to_a_too_large_upload(operator_user, media_root, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024  # per photo: the request may hold 20 of them
    client = api_client(operator_user)
    big = SimpleUploadedFile("big.jpg", b"\xff" * 200_000, content_type="image/jpeg")

    response = client.post(URL, {"name": "Aaron", "consent": "true", "photos": [big]})

    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_it_answers_401_without_a_valid_token(operator_user):
    assert APIClient().get(URL).status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.post(URL, {"name": "Aaron", "consent": "true"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_it_answers_403_to_a_viewer(viewer_user, media_root):
    client = api_client(viewer_user)

    response = client.post(URL, {"name": "Aaron", "consent": "true", "photos": [fixture_upload("lfw_person_a_1.jpg")]})

    assert response.status_code == 403
    assert "operator" in response.json()["detail"]
    assert client.get(URL).status_code == 403
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_it_takes_tokens_made_by_the_api_token_command(operator_user, capsys):
    call_command("api_token", operator_user.username, "--name", "register")

    key = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(URL).status_code == 200
