"""Deleting a camera (admins): a page that says what stays and what goes, then the deletion;
its visits stay, shown as "<name> (deleted camera)"."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from identity.models import Camera, MatchLog
from integrations.models import AlertRule, Destination
from tests import review_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def door():
    camera = review_data.make_camera("Door")
    review_data.make_log(seen_at=timezone.now(), person=review_data.make_person("Ada", with_sample=False),
                         camera=camera)
    return camera


def test_it_asks_first_saying_what_stays_and_what_goes(admin_client, door):
    AlertRule.objects.create(name="Night door", kind=AlertRule.STRANGER_AT, camera=door, start_time=dt.time(18),
                             end_time=dt.time(7))
    hook = Destination.objects.create(name="Door only", url="https://example.org/a")
    hook.cameras.add(door)

    page = admin_client.get(reverse("camera-delete", args=[door.pk])).content.decode()

    assert "Delete camera Door?" in page and "Its visits (1) stay" in page and "Door (deleted camera)" in page
    assert "Night door" in page and "Door only" in page
    assert Camera.objects.filter(pk=door.pk).exists()


def test_it_deletes_the_camera_and_keeps_its_visits(admin_client, admin_user, door):
    response = admin_client.post(reverse("camera-delete", args=[door.pk]), follow=True)

    assert response.redirect_chain == [(reverse("camera-list"), 302)]
    assert "Camera Door deleted; its visits (1) stay, shown as “Door (deleted camera)”." in response.content.decode()
    assert not Camera.objects.exists()
    assert MatchLog.objects.get().snapshot.source_name == "Door (deleted camera)"
    assert AuditEntry.objects.get(action=AuditEntry.CAMERA_DELETED).actor == admin_user


def test_it_shows_a_deleted_cameras_visits_as_such_in_the_review_history(admin_client, door):
    admin_client.post(reverse("camera-delete", args=[door.pk]))

    assert "Door (deleted camera)" in admin_client.get(reverse("review-history")).content.decode()


def test_it_lets_only_admins_delete_a_camera(client, operator_user, door):
    client.force_login(operator_user)

    assert client.get(reverse("camera-delete", args=[door.pk])).status_code == 403
    assert client.post(reverse("camera-delete", args=[door.pk])).status_code == 403
    assert Camera.objects.filter(pk=door.pk).exists()
    assert "Delete…" not in client.get(reverse("camera-edit", args=[door.pk])).content.decode()


def test_it_answers_404_for_a_missing_camera(admin_client):
    assert admin_client.post(reverse("camera-delete", args=[999])).status_code == 404
