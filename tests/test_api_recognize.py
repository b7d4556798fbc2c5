"""POST /api/recognize/ and GET /api/snapshots/<id>/: real worker, real models, real photos."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from identity.models import Camera, MatchLog, Snapshot
from tests.api import api_client, fixture_upload
from tests.faces_data import FIXTURES, face_at_size_jpeg

URL = "/api/recognize/"


@pytest.fixture
def long_wait(settings):
    # Generous: the first call also loads the models into the worker.
    settings.FACEAPP_API_WAIT_SECONDS = 120


@pytest.fixture
def aaron(operator_user, media_root, celery_worker, long_wait) -> dict:
    """Aaron Peirsol enrolled through the API from one photo."""
    response = api_client(operator_user).post(
        "/api/people/", {"name": "Aaron Peirsol", "consent": "true", "photos": [fixture_upload("lfw_person_a_1.jpg")]}
    )
    assert response.status_code == 201 and response.json()["photos"][0]["status"] == "accepted", response.json()
    return response.json()["person"]


@pytest.mark.django_db(transaction=True)
def test_it_names_an_enrolled_person(aaron, operator_user):
    response = api_client(operator_user).post(URL, {"image": fixture_upload("lfw_person_a_2.jpg")})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["snapshot"]["status"] == "done"
    [face] = body["faces"]
    assert face["decision"] == "known"
    assert face["person"]["id"] == aaron["id"] and face["person"]["name"] == "Aaron Peirsol"
    assert face["label"] == "Aaron Peirsol" and face["provisional"] is None
    assert face["similarity"] > 0
    x1, y1, x2, y2 = face["box"]
    assert 0 <= x1 < x2 <= 250 and 0 <= y1 < y2 <= 250
    assert MatchLog.objects.get().person_id == aaron["id"]


@pytest.mark.django_db(transaction=True)
def test_it_says_a_face_is_too_small_to_name_instead_of_naming_it(aaron, operator_user):
    small = SimpleUploadedFile("small.jpg", face_at_size_jpeg("lfw_person_a_2.jpg", 20), content_type="image/jpeg")

    response = api_client(operator_user).post(URL, {"image": small})

    assert response.status_code == 200, response.json()
    [face] = response.json()["faces"]
    assert (face["too_small"], face["decision"], face["person"], face["provisional"]) == (True, "too_small", None, None)
    assert face["label"] == "too small to name" and face["similarity"] is None
    again = api_client(operator_user).get(f"/api/snapshots/{response.json()['snapshot']['id']}/").json()
    assert again["faces"][0]["too_small"] is True


@pytest.mark.django_db(transaction=True)
def test_it_gives_a_stranger_a_provisional_id(aaron, operator_user):
    camera = Camera.objects.create(name="Front door", kind=Camera.API)
    client = api_client(operator_user)

    response = client.post(URL, {"image": fixture_upload("lfw_person_b_1.jpg"), "camera": camera.id})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["snapshot"]["camera"] == {"id": camera.id, "name": "Front door"}
    [face] = body["faces"]
    assert face["decision"] == "unknown" and face["person"] is None
    assert re.fullmatch(r"U-\d{4}", face["provisional"])
    assert face["assigned_id"] == face["label"] == face["provisional"]
    # the same stranger again keeps the same provisional ID
    again = client.post(URL, {"image": fixture_upload("lfw_person_b_1.jpg")}).json()
    assert again["faces"][0]["provisional"] == face["provisional"]


@pytest.mark.django_db(transaction=True)
def test_it_answers_422_when_the_recognition_fails(operator_user, media_root, celery_worker, long_wait):
    data = (FIXTURES / "lfw_person_a_1.jpg").read_bytes()
    half = SimpleUploadedFile("half.jpg", data[: len(data) // 2], content_type="image/jpeg")

    response = api_client(operator_user).post(URL, {"image": half})

    assert response.status_code == 422, response.json()
    assert "truncated" in response.json()["error"]
    assert response.json()["snapshot"]["status"] == "failed"


@pytest.mark.django_db
def test_it_answers_202_then_the_status_url_while_pending(operator_user, media_root, settings):
    settings.FACEAPP_API_WAIT_SECONDS = 0  # and no worker runs: the snapshot stays pending
    client = api_client(operator_user)

    response = client.post(URL, {"image": fixture_upload("lfw_person_a_2.jpg")})

    assert response.status_code == 202, response.json()
    snapshot = Snapshot.objects.get()
    status_url = response.json()["status_url"]
    assert status_url == f"http://testserver/api/snapshots/{snapshot.id}/"
    assert response.json()["faces"] == []
    pending = client.get(status_url)
    assert pending.status_code == 202
    assert pending.json()["snapshot"]["status"] == "pending"


@pytest.mark.django_db
def test_it_answers_400_with_the_reason_for_a_non_image(operator_user, media_root):
    upload = SimpleUploadedFile("notes.jpg", b"these are not pixels", content_type="image/jpeg")

    response = api_client(operator_user).post(URL, {"image": upload})

    assert response.status_code == 400
    assert response.json()["error"]
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_it_answers_400_for_missing_fields_and_unknown_cameras(operator_user, media_root):
    client = api_client(operator_user)

    assert "image" in client.post(URL, {}).json()
    response = client.post(URL, {"image": fixture_upload("lfw_person_a_2.jpg"), "camera": 999})
    assert response.status_code == 400
    assert "camera" in response.json()
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_it_answers_413_to_a_too_large_upload(operator_user, media_root, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    big = SimpleUploadedFile("big.jpg", b"\xff" * 200_000, content_type="image/jpeg")

    response = api_client(operator_user).post(URL, {"image": big})

    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_it_needs_a_token_and_the_operator_role(viewer_user, media_root):
    assert APIClient().post(URL, {"image": fixture_upload("lfw_person_a_2.jpg")}).status_code == 401
    viewer = api_client(viewer_user)
    assert viewer.post(URL, {"image": fixture_upload("lfw_person_a_2.jpg")}).status_code == 403
    snapshot = Snapshot.objects.create(image="snapshots/x.jpg")
    assert viewer.get(f"/api/snapshots/{snapshot.id}/").status_code == 403
    assert APIClient().get(f"/api/snapshots/{snapshot.id}/").status_code == 401
    assert not Snapshot.objects.exclude(id=snapshot.id).exists()
