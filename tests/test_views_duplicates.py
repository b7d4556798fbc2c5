"""Duplicates on the web pages, real engine on real photos: a second enrolment of an enrolled
face (files or webcam) is held with both faces shown and the two answers; a second person of
the same name is warned about on the form; the duplicates list merges a pair or remembers it
as different people."""

import base64

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from identity.models import DistinctPeople, FaceSample, Person
from identity.services import enrolment
from tests.duplicates_data import enrol, people_named_as_each_other
from tests.faces_data import FIXTURES
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def _form(name: str, photo: str, **extra) -> dict:
    data_url = "data:image/jpeg;base64," + base64.b64encode((FIXTURES / photo).read_bytes()).decode()
    return {"name": name, "consent": "on", "webcam_photos": [data_url], **extra}


def _enrol_through_the_form(client, capture, data: dict) -> Person:
    with capture(execute=True):
        response = client.post(reverse("person-create"), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    person = Person.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    for sample in person.samples.all():
        enrolment.sample_process(sample_id=sample.pk)  # as the worker would
    return person


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def held(client, operator_user, aaron, capture, media_root) -> tuple[Person, FaceSample]:
    """Aaron Peirsol enrolled, then again through the form's webcam as "Aaron P." (with a code)."""
    client.force_login(operator_user)
    again = _enrol_through_the_form(client, capture, _form("Aaron P.", "lfw_person_a_2.jpg", code="AP-2"))
    return again, again.samples.get()


def test_it_holds_a_second_enrolment_and_shows_both_faces_with_the_two_answers(client, held, aaron):
    again, sample = held

    assert (sample.status, sample.held_as) == (FaceSample.HELD, aaron)
    page = client.get(reverse("person-detail", args=[again.pk]))
    (shown,) = page.context["samples"]
    other = shown["held_as"]
    assert (other["id"], other["name"], other["display_id"]) == (aaron.pk, "Aaron Peirsol", "AP")
    assert other["crop_url"] == reverse("media-sample-crop", args=[aaron.samples.get().pk])
    assert other["move_url"] == reverse("sample-move", args=[again.pk, sample.pk])
    assert other["distinct_url"] == reverse("sample-distinct", args=[again.pk, sample.pk])
    html = page.content.decode()
    assert '<section class="card warning-card" role="alert" id="held-photos">' in html  # shown, not hidden
    assert page.context["counts"]["held"] == 1
    assert people_named_as_each_other() == set()


def test_it_holds_a_second_enrolment_from_uploaded_files_too(client, operator_user, aaron, capture, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(operator_user)
    upload = SimpleUploadedFile("a2.jpg", (FIXTURES / "lfw_person_a_2.jpg").read_bytes(), content_type="image/jpeg")
    again = _enrol_through_the_form(client, capture, {"name": "Aaron Again", "consent": "on", "photos": [upload]})

    assert again.samples.get().status == FaceSample.HELD


def test_it_adds_the_held_photo_to_the_person_named(client, held, aaron, capture):
    again, sample = held

    with capture(execute=True):
        response = client.post(reverse("sample-move", args=[again.pk, sample.pk]))

    assert response.status_code == 302 and response.url == reverse("person-detail", args=[aaron.pk])
    assert aaron.samples.filter(status=FaceSample.ACCEPTED).count() == 2
    assert not Person.objects.filter(pk=again.pk).exists()  # the entry left with no photo is gone
    assert people_named_as_each_other() == set()


def test_it_remembers_different_people_and_audits_it(client, held, aaron, operator_user, capture):
    again, sample = held

    with capture(execute=True):
        response = client.post(reverse("sample-distinct", args=[again.pk, sample.pk]))

    assert response.status_code == 302 and response.url == reverse("person-detail", args=[again.pk])
    sample.refresh_from_db()
    assert sample.status == FaceSample.ACCEPTED
    assert DistinctPeople.objects.filter(first=aaron, second=again, confirmed_by=operator_user).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_DISTINCT, actor=operator_user).count() == 1
    assert people_named_as_each_other() == set()
    # A photo no longer held has no answer to give.
    assert client.post(reverse("sample-move", args=[again.pk, sample.pk])).status_code == 404


def test_it_warns_of_a_second_person_with_the_same_name_and_keeps_what_was_typed(client, operator_user, aaron,
                                                                                 capture, media_root):
    client.force_login(operator_user)

    response = client.post(reverse("person-create"), _form("aaron peirsol", "lfw_person_b_1.jpg"))

    assert response.status_code == 200 and Person.objects.count() == 1
    form = response.context["form"]
    assert form.same_name_warning == aaron and "is enrolled already (AP)" in form.errors["name"][0]
    html = response.content.decode()
    assert 'id="same-name"' in html and 'value="aaron peirsol"' in html
    namesake = _enrol_through_the_form(client, capture, _form("Aaron Peirsol", "lfw_person_b_1.jpg", same_name="on"))
    assert namesake.samples.get().status == FaceSample.ACCEPTED  # another face: not held
    page = client.get(reverse("person-detail", args=[namesake.pk]))
    assert list(page.context["namesakes"]) == [aaron]  # and their page says so, until one has a code


def test_it_takes_a_namesake_with_a_code_without_a_warning(client, operator_user, aaron, capture, media_root):
    client.force_login(operator_user)

    namesake = _enrol_through_the_form(client, capture, _form("Aaron Peirsol", "lfw_person_b_1.jpg", code="AP-B"))

    assert namesake.code == "AP-B"


@pytest.fixture
def enrolled_twice(aaron, capture, media_root) -> Person:
    """A second entry of Aaron Peirsol from before this check: its photo accepted all the same."""
    twice, (sample,) = enrol(capture, "A. Peirsol", "lfw_person_a_2.jpg")
    FaceSample.objects.filter(pk=sample.pk).update(status=FaceSample.ACCEPTED, held_as=None)
    return twice


def test_it_lists_the_people_the_gallery_cannot_tell_apart(client, operator_user, aaron, enrolled_twice):
    client.force_login(operator_user)

    page = client.get(reverse("duplicate-list"))

    ((first, second), similarity), = page.context["pairs"]
    assert (first, second) == (aaron, enrolled_twice) and similarity > 0.5
    html = page.content.decode()
    assert f'data-pair="{aaron.pk} {enrolled_twice.pk}"' in html
    assert reverse("media-sample-crop", args=[aaron.samples.get().pk]) in html
    assert f"Yes, merge {enrolled_twice.display_id} into AP" in html  # behind its confirmation


def test_it_merges_a_pair(client, operator_user, aaron, enrolled_twice, capture):
    client.force_login(operator_user)

    with capture(execute=True):
        response = client.post(reverse("duplicate-merge"), {"keep": aaron.pk, "drop": enrolled_twice.pk})

    assert response.status_code == 302 and response.url == reverse("duplicate-list")
    assert list(Person.objects.all()) == [aaron] and aaron.samples.count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_MERGED, actor=operator_user).exists()
    assert client.get(reverse("duplicate-list")).context["pairs"] == []


def test_it_remembers_a_pair_as_different_people(client, operator_user, aaron, enrolled_twice):
    client.force_login(operator_user)

    response = client.post(reverse("duplicate-distinct"), {"first": aaron.pk, "second": enrolled_twice.pk})

    assert response.status_code == 302
    assert client.get(reverse("duplicate-list")).context["pairs"] == []
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_DISTINCT, actor=operator_user).exists()
    assert people_named_as_each_other() == set()


def test_it_refuses_a_pair_of_nobody(client, operator_user):
    client.force_login(operator_user)

    assert client.post(reverse("duplicate-merge"), {"keep": "1", "drop": "99999999999999999999"}).status_code == 404
    assert client.post(reverse("duplicate-distinct"), {"first": "x", "second": "2"}).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_last_list_while_a_worker_searches_a_large_gallery(client, operator_user, aaron, enrolled_twice,
                                                                         request, settings):
    settings.FACEAPP_DUPLICATES_INLINE_FACES = 1  # two faces: a large gallery
    client.force_login(operator_user)

    first = client.get(reverse("duplicate-list"))  # not searched for this gallery yet: the worker's turn
    assert first.context["current"] is False
    assert 'id="duplicates-updating"' in first.content.decode() and 'id="no-duplicates"' not in first.content.decode()
    request.getfixturevalue("celery_worker")

    page = wait_until(lambda: (page := client.get(reverse("duplicate-list"))).context["current"] and page,
                      "the worker's search")

    ((pair, _),) = page.context["pairs"]
    assert pair == (aaron, enrolled_twice) and 'id="duplicates-updating"' not in page.content.decode()
