"""/api/people/: enrolment through the API, with a real worker on real photos; editing and deleting
people, adding and deleting their photos (operators, audited as the token's user)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from rest_framework.test import APIClient

from audit.models import AuditEntry
from identity.models import FaceSample, Person
from tests.api import api_client, fixture_upload
from tests.duplicates_data import people_named_as_each_other
from tests.review_data import make_person, media_files

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


@pytest.mark.django_db(transaction=True)
def test_it_answers_409_to_an_enrolled_face_and_enrols_it_with_the_override(operator_user, media_root,
                                                                          celery_worker, long_wait):
    client = api_client(operator_user)
    first = client.post(URL, {"name": "Aaron Peirsol", "consent": "true",
                              "photos": [fixture_upload("lfw_person_a_1.jpg")]})
    assert first.status_code == 201, first.json()
    aaron = Person.objects.get()

    again = client.post(URL, {"name": "Aaron P.", "consent": "true", "photos": [fixture_upload("lfw_person_a_2.jpg")]})

    assert again.status_code == 409, again.json()
    body = again.json()
    assert body["matched"] == {"id": aaron.pk, "name": "Aaron Peirsol", "code": None, "display_id": aaron.display_id}
    assert body["error"].startswith("already enrolled as Aaron Peirsol (similarity 0.")
    assert f"different_from={aaron.pk}" in body["error"]
    assert [photo["status"] for photo in body["photos"]] == ["held"]
    assert list(Person.objects.all()) == [aaron]  # a 4xx enrols nobody
    assert people_named_as_each_other() == set()

    twin = client.post(URL, {"name": "Aaron P.", "consent": "true", "different_from": aaron.pk,
                             "photos": [fixture_upload("lfw_person_a_2.jpg")]})

    assert twin.status_code == 201, twin.json()
    assert [photo["status"] for photo in twin.json()["photos"]] == ["accepted"]
    entry = AuditEntry.objects.get(action=AuditEntry.PEOPLE_DISTINCT)
    assert entry.actor == operator_user and entry.person_id == twin.json()["person"]["id"]
    assert people_named_as_each_other() == set()  # named as each other, but confirmed different


@pytest.mark.django_db(transaction=True)
def test_it_answers_409_to_added_photos_of_someone_else(operator_user, media_root, celery_worker, long_wait):
    client = api_client(operator_user)
    assert client.post(URL, {"name": "Aaron Peirsol", "consent": "true",
                             "photos": [fixture_upload("lfw_person_a_1.jpg")]}).status_code == 201
    other = make_person("Someone Else", with_sample=False)

    response = client.post(f"/api/people/{other.pk}/photos/", {"photos": [fixture_upload("lfw_person_a_2.jpg")]})

    assert response.status_code == 409, response.json()
    assert response.json()["matched"]["name"] == "Aaron Peirsol"
    assert not other.samples.exists()  # not added
    assert client.post(f"/api/people/{other.pk}/photos/", {"photos": [fixture_upload("lfw_person_a_2.jpg")],
                                                           "different_from": other.pk}).status_code == 400


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


# ---------- PATCH/DELETE /api/people/<id>/, POST /api/people/<id>/photos/, DELETE .../photos/<id>/ ----------


def _person_url(person) -> str:
    return f"/api/people/{person.pk}/"


def _photos_url(person) -> str:
    return f"/api/people/{person.pk}/photos/"


@pytest.mark.django_db
def test_it_edits_a_person_and_audits_it_as_the_tokens_user(operator_user, media_root):
    ada = make_person("Ada", "A-1")

    response = api_client(operator_user).patch(_person_url(ada), {"name": " Ada King ", "code": "AK-1", "active": False},
                                               format="json")

    assert response.status_code == 200, response.json()
    assert {k: response.json()[k] for k in ("id", "name", "code", "active")} == {
        "id": ada.pk, "name": "Ada King", "code": "AK-1", "active": False}
    ada.refresh_from_db()
    assert (ada.name, ada.code, ada.active) == ("Ada King", "AK-1", False)
    entry = AuditEntry.objects.get(action=AuditEntry.PERSON_EDITED)
    assert (entry.actor, entry.person) == (operator_user, ada)


@pytest.mark.django_db
def test_it_changes_only_the_fields_an_edit_sends(operator_user, media_root):
    ada = make_person("Ada", "A-1")

    response = api_client(operator_user).patch(_person_url(ada), {"active": False}, format="json")

    assert response.status_code == 200, response.json()
    ada.refresh_from_db()
    assert (ada.name, ada.code, ada.active) == ("Ada", "A-1", False)


@pytest.mark.django_db
def test_it_refuses_an_edit_to_a_code_another_person_has(operator_user, media_root):
    ada, _ = make_person("Ada", "A-1"), make_person("Bob", "B-2")

    response = api_client(operator_user).patch(_person_url(ada), {"code": "B-2"}, format="json")

    assert response.status_code == 400
    assert "already has the code B-2" in response.json()["code"][0]
    ada.refresh_from_db()
    assert ada.code == "A-1"


@pytest.mark.django_db
def test_it_deletes_a_person_with_their_photos_and_audits_it(operator_user, media_root,
                                                              django_capture_on_commit_callbacks):
    ada = make_person("Ada", "A-1")
    client = api_client(operator_user)

    with django_capture_on_commit_callbacks(execute=True):  # the files go once the erasure commits
        response = client.delete(_person_url(ada))

    assert response.status_code == 204
    assert not Person.objects.exists() and not FaceSample.objects.exists()
    assert media_files(media_root) == []
    assert client.get(_person_url(ada)).status_code == 404
    entry = AuditEntry.objects.get(action=AuditEntry.PERSON_ERASED)
    assert (entry.actor, entry.person_ref) == (operator_user, ada.pk)


@pytest.mark.django_db(transaction=True)
def test_it_adds_photos_to_a_person_and_reports_each(operator_user, media_root, celery_worker, long_wait):
    ada = make_person("Aaron", "AP-1", with_sample=False)
    photos = [fixture_upload("lfw_person_a_1.jpg"), faceless_jpeg()]

    response = api_client(operator_user).post(_photos_url(ada), {"photos": photos})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["person"] == {"id": ada.pk, "name": "Aaron", "code": "AP-1"}
    assert [(p["filename"], p["status"]) for p in body["photos"]] == [
        ("lfw_person_a_1.jpg", "accepted"), ("wall.jpg", "rejected")]
    assert "no face" in body["photos"][1]["reason"].lower()
    assert body["status_url"] == f"http://testserver/api/people/{ada.pk}/"
    assert sorted(ada.samples.values_list("status", flat=True)) == ["accepted", "rejected"]
    entry = AuditEntry.objects.get(action=AuditEntry.PHOTOS_ADDED)
    assert (entry.actor, entry.person, entry.detail) == (operator_user, ada, "2 photo(s)")


@pytest.mark.django_db
def test_it_answers_202_while_added_photos_are_pending(operator_user, media_root, settings):
    settings.FACEAPP_API_WAIT_SECONDS = 0  # and no worker runs: the photo stays pending
    ada = make_person("Aaron", with_sample=False)

    response = api_client(operator_user).post(_photos_url(ada), {"photos": [fixture_upload("lfw_person_a_1.jpg")]})

    assert response.status_code == 202, response.json()
    assert [p["status"] for p in response.json()["photos"]] == ["pending"]
    assert response["Location"] == f"http://testserver/api/people/{ada.pk}/"


@pytest.mark.django_db
def test_it_answers_413_to_too_large_added_photos(operator_user, media_root, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024  # per photo: the request may hold 20 of them
    ada = make_person("Aaron", with_sample=False)
    big = SimpleUploadedFile("big.jpg", b"\xff" * 200_000, content_type="image/jpeg")

    response = api_client(operator_user).post(_photos_url(ada), {"photos": [big]})

    assert response.status_code == 413
    assert "too large" in response.json()["error"]
    assert not ada.samples.exists()


@pytest.mark.django_db
def test_it_deletes_one_photo_of_a_person_and_audits_it(operator_user, media_root,
                                                         django_capture_on_commit_callbacks):
    ada = make_person("Ada", "A-1")
    sample = ada.samples.get()

    with django_capture_on_commit_callbacks(execute=True):  # the files go once the deletion commits
        response = api_client(operator_user).delete(f"{_photos_url(ada)}{sample.pk}/")

    assert response.status_code == 204
    assert not FaceSample.objects.exists() and Person.objects.filter(pk=ada.pk).exists()
    assert media_files(media_root) == []
    entry = AuditEntry.objects.get(action=AuditEntry.PHOTO_DELETED)
    assert (entry.actor, entry.person) == (operator_user, ada)


@pytest.mark.django_db
def test_it_answers_404_for_a_photo_of_someone_else(operator_user, media_root):
    ada, bob = make_person("Ada"), make_person("Bob")

    response = api_client(operator_user).delete(f"{_photos_url(ada)}{bob.samples.get().pk}/")

    assert response.status_code == 404
    assert bob.samples.exists()


WRITES = {
    "edit": lambda client, person: client.patch(_person_url(person), {"name": "Eve"}, format="json"),
    "delete": lambda client, person: client.delete(_person_url(person)),
    "add photos": lambda client, person: client.post(_photos_url(person), {"photos": [fixture_upload("lfw_person_a_1.jpg")]}),
    "delete a photo": lambda client, person: client.delete(f"{_photos_url(person)}{person.samples.get().pk}/"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("write", sorted(WRITES))
def test_it_answers_403_to_a_viewers_token_on_each_write(viewer_user, media_root, write):
    ada = make_person("Ada", "A-1")

    response = WRITES[write](api_client(viewer_user), ada)

    assert response.status_code == 403
    assert "operator" in response.json()["detail"]
    ada.refresh_from_db()
    assert (ada.name, ada.samples.count()) == ("Ada", 1)
    assert not AuditEntry.objects.filter(person_ref=ada.pk).exists()
