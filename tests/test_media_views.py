"""Biometric media views: only signed-in users with a role, never cached, 404 once erased
(which role sees which file: tests/test_hardening_media.py)."""

import pytest
from django.urls import reverse

from identity.models import MatchLog
from identity.services import enrolment, recognition
from tests import faces_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(media_root):
    person, (sample,) = enrolment.person_enroll(
        name="Aaron", consent=True, photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg"))]
    )
    sample = enrolment.sample_process(sample_id=sample.pk)
    snapshot = recognition.snapshot_recognize(
        snapshot_id=recognition.snapshot_submit(image=("a2.jpg", faces_data.photo("lfw_person_a_2.jpg"))).pk
    )
    log = MatchLog.objects.get(snapshot=snapshot)
    return {
        "photo": (reverse("media-sample-photo", args=[sample.pk]), sample.photo),
        "crop": (reverse("media-sample-crop", args=[sample.pk]), sample.crop),
        "log": (reverse("media-log-crop", args=[log.pk]), log.crop),
        "snapshot": (reverse("media-snapshot", args=[snapshot.pk]), snapshot.image),
    }


KINDS = ["photo", "crop", "log", "snapshot"]


@pytest.mark.parametrize("kind", KINDS)
def test_it_serves_the_file_to_an_operator_uncached(kind, media, client, operator_user):
    url, field = media[kind]
    client.force_login(operator_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    field.open("rb")
    assert b"".join(response.streaming_content) == field.read()


@pytest.mark.parametrize("kind", KINDS)
def test_it_sends_anonymous_visitors_to_the_login_page(kind, media, client):
    response = client.get(media[kind][0])
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("kind", KINDS)
def test_it_refuses_users_without_a_role(kind, media, client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="nobody", password="pw"))
    assert client.get(media[kind][0]).status_code == 403


def test_it_answers_404_for_an_erased_file_or_an_unknown_id(media, client, viewer_user):
    client.force_login(viewer_user)
    url, field = media["log"]
    field.storage.delete(field.name)
    assert client.get(url).status_code == 404
    assert client.get(reverse("media-snapshot", args=[999_999])).status_code == 404


def test_it_serves_a_png_as_png(media_root, client, viewer_user):
    snapshot = recognition.snapshot_submit(image=("g.png", faces_data.png_bytes(300, 200)))
    client.force_login(viewer_user)
    response = client.get(reverse("media-snapshot", args=[snapshot.pk]))
    assert response["Content-Type"] == "image/png"
