"""Search past faces by photo: a probe photo of someone a camera saw earlier finds their logged
faces first (real photos, a real worker); faces purged by retention are gone from the search; a face
too small to name is not searched."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from identity.models import Camera
from identity.services import recognition, retention
from tests import faces_data

E2E = faces_data.FIXTURES / "e2e"


@pytest.fixture
def seen_at_the_door(media_root):
    """Colin Powell, Tony Blair and Donald Rumsfeld, each seen once by the door camera (not enrolled)."""
    door = Camera.objects.create(name="Door")
    logs = {}
    for name in ("Colin_Powell_0001", "Tony_Blair_0001", "Donald_Rumsfeld_0001"):
        snapshot = recognition.snapshot_submit(image=(f"{name}.jpg", (E2E / f"{name}.jpg").read_bytes()), camera=door)
        logs[name] = recognition.snapshot_recognize(snapshot_id=snapshot.pk).logs.get()
    return logs


def _search(client, name: str):
    return client.post(reverse("face-search"), {"photo": SimpleUploadedFile(f"{name}.jpg", (E2E / f"{name}.jpg").read_bytes())})


@pytest.mark.django_db(transaction=True)
def test_it_finds_the_logged_faces_of_the_person_in_the_photo_first(client, operator_user, seen_at_the_door,
                                                                      celery_worker):
    client.force_login(operator_user)

    response = _search(client, "Colin_Powell_0002")

    (face,) = response.context["faces"]
    first, similarity = face["matches"][0]
    assert first == seen_at_the_door["Colin_Powell_0001"] and similarity > 0.4
    assert [log for log, _ in face["matches"][1:]] and all(s < similarity for _, s in face["matches"][1:])
    assert f'<tr data-log="{first.pk}">' in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_forgets_faces_purged_by_retention(client, operator_user, seen_at_the_door, celery_worker, settings):
    client.force_login(operator_user)
    settings.FACEAPP_KEEP_CROPS_DAYS = 1
    retention.purge_expired(now=timezone.now() + dt.timedelta(days=2))

    response = _search(client, "Colin_Powell_0002")

    (face,) = response.context["faces"]
    assert face["matches"] == [] and "No face logged yet." in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_says_a_face_too_small_to_name_is_not_searched(client, operator_user, seen_at_the_door, celery_worker):
    client.force_login(operator_user)
    small = SimpleUploadedFile("small.jpg", faces_data.face_at_size_jpeg("lfw_person_a_2.jpg", 20))

    response = client.post(reverse("face-search"), {"photo": small})

    (face,) = response.context["faces"]
    assert face["too_small"] and face["matches"] == []
    assert "This face is too small to name or search" in response.content.decode()


@pytest.mark.django_db
def test_it_says_why_a_file_cannot_be_searched(client, operator_user):
    client.force_login(operator_user)

    response = client.post(reverse("face-search"), {"photo": SimpleUploadedFile("notes.jpg", b"not a photo")})

    assert "Unreadable photo (notes.jpg): not an image" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_likely_matches_first_and_folds_the_others(client, operator_user, seen_at_the_door,
                                                                   celery_worker, settings):
    client.force_login(operator_user)

    response = _search(client, "Colin_Powell_0002")

    (face,) = response.context["faces"]
    page = response.content.decode()
    assert [log for log, _ in face["likely"]] == [seen_at_the_door["Colin_Powell_0001"]]
    assert {log for log, _ in face["others"]} == {seen_at_the_door["Tony_Blair_0001"],
                                                  seen_at_the_door["Donald_Rumsfeld_0001"]}
    assert all(s < settings.FACEAPP_MATCH_THRESHOLD for _, s in face["others"])
    likely, folded = page.index('data-matches="likely"'), page.index('<details class="search-others" data-others="2">')
    assert likely < folded and page.index('data-matches="others"') > folded
