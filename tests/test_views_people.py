"""People pages: enrol with files and webcam captures, see each photo's result, edit, delete."""

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from identity.models import FaceSample, Person
from identity.services.enrolment import samples_wait
from tests.faces_data import FIXTURES

CONSENT = "on"


def _photo(name: str = "lfw_person_a_1.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes(), content_type="image/jpeg")


def _data_url(name: str) -> str:
    return "data:image/jpeg;base64," + base64.b64encode((FIXTURES / name).read_bytes()).decode()


def _person(name: str = "Ada Lovelace", code: str | None = "A-1") -> Person:
    return Person.objects.create(name=name, code=code)


PAGES = ["person-list", "person-create"]
PERSON_PAGES = ["person-detail", "person-edit", "person-add-photos", "person-delete"]


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_the_login_page(client):
    person = _person()
    urls = [reverse(name) for name in PAGES] + [reverse(name, args=[person.pk]) for name in PERSON_PAGES]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


@pytest.mark.django_db
def test_it_forbids_viewers(client, viewer_user):
    person = _person()
    client.force_login(viewer_user)
    urls = [reverse(name) for name in PAGES] + [reverse(name, args=[person.pk]) for name in PERSON_PAGES]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("person-delete", args=[person.pk])).status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()


@pytest.mark.django_db
def test_it_lists_people_with_their_accepted_photos(client, operator_user):
    person = _person()
    FaceSample.objects.create(person=person, status=FaceSample.ACCEPTED)
    FaceSample.objects.create(person=person, status=FaceSample.REJECTED, reason="no face found")
    _person("Grace Hopper", code=None)
    client.force_login(operator_user)
    response = client.get(reverse("person-list"))
    assert response.status_code == 200
    rows = {person.name: person for person in response.context["people"]}
    assert (rows["Ada Lovelace"].accepted_samples, rows["Ada Lovelace"].photo_count) == (1, 2)
    assert rows["Grace Hopper"].accepted_samples == 0
    assert not rows["Ada Lovelace"].seen_today
    assert reverse("person-detail", args=[person.pk]) in response.content.decode()


@pytest.mark.django_db
def test_it_shows_the_consent_sentence_and_webcam_widget(client, operator_user):
    client.force_login(operator_user)
    page = client.get(reverse("person-create")).content.decode()
    assert "agreed, knowingly and freely" in page
    assert 'name="consent"' in page and 'type="file"' in page and "multiple" in page
    assert "Start camera" in page and "Capture" in page


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["person-create", "person-add-photos"])
def test_it_shows_the_photo_limits_on_the_enrolment_pages(client, operator_user, page):
    client.force_login(operator_user)
    url = reverse(page, args=[_person().pk] if page == "person-add-photos" else [])
    html = client.get(url).content.decode()
    assert "Photos are accepted when:" in html
    for limit in ["certainty at least 0.60", "at least 64 pixels wide", "turned at most 35°",
                  "brightness between 40 and 210", "sharpness at least 30"]:
        assert limit in html, limit


@pytest.mark.django_db
def test_it_refuses_enrolment_without_consent(client, operator_user, media_root):
    client.force_login(operator_user)
    response = client.post(reverse("person-create"), {"name": "Ada", "photos": [_photo()]})
    assert response.status_code == 200
    assert "Consent is required" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_it_refuses_enrolment_without_photos(client, operator_user, media_root):
    client.force_login(operator_user)
    response = client.post(reverse("person-create"), {"name": "Ada", "consent": CONSENT})
    assert response.status_code == 200
    assert "Add at least one photo" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_webcam_capture_that_is_not_an_image_data_url(client, operator_user, media_root):
    client.force_login(operator_user)
    data = {"name": "Ada", "consent": CONSENT, "webcam_photos": ["data:text/plain;base64,aGk="]}
    response = client.post(reverse("person-create"), data)
    assert response.status_code == 200
    assert "Webcam capture 1 is not an image data URL" in response.content.decode()
    assert not Person.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_code_already_taken(client, operator_user, media_root):
    _person(code="A-1")
    client.force_login(operator_user)
    data = {"name": "Ada", "code": "A-1", "consent": CONSENT, "photos": [_photo()]}
    response = client.post(reverse("person-create"), data)
    assert response.status_code == 200
    assert "Another person already has the code" in response.content.decode()
    assert Person.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_enrols_files_and_webcam_captures_and_shows_each_result(
    client, operator_user, media_root, celery_worker
):
    client.force_login(operator_user)
    data = {
        "name": "Aaron Peirsol",
        "code": "AP-1",
        "consent": CONSENT,
        "photos": [_photo("lfw_person_a_1.jpg"), SimpleUploadedFile("notes.txt", b"not a photo at all")],
        "webcam_photos": [_data_url("lfw_person_a_2.jpg")],
    }
    response = client.post(reverse("person-create"), data)
    person = Person.objects.get(code="AP-1")
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk])
    assert person.consent_given_at is not None
    samples = samples_wait(sample_ids=list(person.samples.values_list("pk", flat=True)), timeout=60)
    assert sorted(sample.status for sample in samples) == ["accepted", "accepted", "rejected"]
    assert {sample.source for sample in samples if sample.status == "accepted"} <= {"upload", "webcam"}

    page = client.get(response.url)
    shown = {sample["id"]: sample for sample in page.context["samples"]}
    rejected = next(sample for sample in samples if sample.status == "rejected")
    assert rejected.reason and shown[rejected.pk]["reason"] == rejected.reason
    assert shown.keys() == {sample.pk for sample in samples}
    for sample in samples:
        if sample.status == "accepted":
            assert shown[sample.pk]["crop_url"] == reverse("media-sample-crop", args=[sample.pk])
    assert f'data-person-id="{person.pk}"' in page.content.decode()  # the live script's websocket target


@pytest.mark.django_db
def test_it_edits_a_person(client, operator_user):
    person = _person()
    client.force_login(operator_user)
    response = client.post(reverse("person-edit", args=[person.pk]), {"name": "Ada King", "code": "", "active": ""})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.code, person.active) == ("Ada King", None, False)


@pytest.mark.django_db
def test_it_refuses_an_edit_to_a_taken_code(client, operator_user):
    person = _person()
    _person("Grace", code="G-1")
    client.force_login(operator_user)
    response = client.post(reverse("person-edit", args=[person.pk]), {"name": "Ada", "code": "G-1", "active": "on"})
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.code == "A-1"


@pytest.mark.django_db
def test_it_refuses_to_add_no_photos(client, operator_user, media_root):
    person = _person()
    client.force_login(operator_user)
    response = client.post(reverse("person-add-photos", args=[person.pk]), {})
    assert response.status_code == 200
    assert "Add at least one photo" in response.content.decode()
    assert not person.samples.exists()


@pytest.mark.django_db
def test_it_adds_photos_as_pending_samples(client, operator_user, media_root):
    person = _person()
    client.force_login(operator_user)
    data = {"photos": [_photo()], "webcam_photos": [_data_url("lfw_person_a_2.jpg")]}
    response = client.post(reverse("person-add-photos", args=[person.pk]), data)
    assert response.status_code == 302
    assert response.url == reverse("person-detail", args=[person.pk])
    assert sorted(person.samples.values_list("source", flat=True)) == ["upload", "webcam"]


@pytest.mark.django_db
def test_it_deletes_only_on_post_after_a_confirmation(client, operator_user, media_root):
    person = _person()
    client.force_login(operator_user)
    confirmation = client.get(reverse("person-delete", args=[person.pk]))
    assert confirmation.status_code == 200
    assert "cannot be undone" in confirmation.content.decode()
    assert f"Backups made before now still hold {person.name} until they are deleted" in confirmation.content.decode()
    assert Person.objects.filter(pk=person.pk).exists()

    response = client.post(reverse("person-delete", args=[person.pk]))
    assert response.status_code == 302
    assert response.url == reverse("person-list")
    assert not Person.objects.filter(pk=person.pk).exists()


@pytest.mark.django_db
def test_it_says_when_no_photo_of_a_person_was_accepted(client, operator_user):
    person = _person()
    FaceSample.objects.create(person=person, status=FaceSample.REJECTED, reason="no face found")
    client.force_login(operator_user)
    page = client.get(reverse("person-detail", args=[person.pk])).content.decode()
    assert 'id="no-accepted-photo">' in page and reverse("person-delete", args=[person.pk]) in page

    FaceSample.objects.create(person=person, status=FaceSample.ACCEPTED)
    page = client.get(reverse("person-detail", args=[person.pk])).content.decode()
    assert 'id="no-accepted-photo" hidden>' in page


@pytest.mark.django_db
def test_it_names_a_rejected_photo_by_the_file_it_came_from(client, operator_user, media_root):
    person = _person()
    client.force_login(operator_user)
    client.post(reverse("person-add-photos", args=[person.pk]),
                {"photos": [SimpleUploadedFile("minutes.txt", b"not a photo at all")]})

    (shown,) = client.get(reverse("person-detail", args=[person.pk])).context["samples"]

    assert (shown["status"], shown["filename"]) == ("rejected", "minutes.txt")
    assert shown["reason"].startswith("not an image")


@pytest.mark.django_db
def test_it_deletes_one_photo_and_keeps_the_others(client, operator_user, media_root,
                                                    django_capture_on_commit_callbacks):
    person = _person()
    client.force_login(operator_user)
    client.post(reverse("person-add-photos", args=[person.pk]), {"photos": [_photo(), _photo("lfw_person_a_2.jpg")]})
    first, second = person.samples.order_by("id")
    stored = media_root / first.photo.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the deletion is committed
        response = client.post(reverse("sample-delete", args=[person.pk, first.pk]))

    assert response.status_code == 302 and response.url == reverse("person-detail", args=[person.pk])
    assert list(person.samples.all()) == [second] and not stored.exists()
    assert client.get(reverse("sample-delete", args=[person.pk, second.pk])).status_code == 405  # POST only


@pytest.mark.django_db
def test_it_answers_404_for_a_photo_of_a_person_id_too_large_for_a_row(client, operator_user):
    client.force_login(operator_user)

    response = client.post(f"/people/{10**30}/photos/1/delete/")

    assert response.status_code == 404
