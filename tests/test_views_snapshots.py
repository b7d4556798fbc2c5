"""POST snapshots/<id>/retry/: operators queue a failed snapshot again."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from identity.models import Snapshot
from tests import faces_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(media_root) -> Snapshot:
    snapshot = Snapshot(status=Snapshot.FAILED, error="recognition failed: boom", attempts=1)
    snapshot.image.save("a.jpg", ContentFile(faces_data.photo("lfw_person_a_1.jpg")))
    return snapshot


def test_it_queues_a_failed_snapshot_again(client, operator_user, failed, django_capture_on_commit_callbacks):
    client.force_login(operator_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("snapshot-retry", args=[failed.pk]))

    assert response.status_code == 302 and response.url == reverse("snapshot-detail", args=[failed.pk])
    failed.refresh_from_db()
    assert (failed.status, failed.error, failed.attempts) == (Snapshot.PENDING, "", 0)
    assert len(callbacks) == 1  # the task is queued once the reset is committed


def test_it_says_why_a_done_snapshot_is_not_retried(client, operator_user, failed):
    Snapshot.objects.filter(pk=failed.pk).update(status=Snapshot.DONE, error="")
    client.force_login(operator_user)

    response = client.post(reverse("snapshot-retry", args=[failed.pk]), follow=True)

    assert "is done: only a failed or pending one can be retried" in response.content.decode()
    assert Snapshot.objects.get(pk=failed.pk).status == Snapshot.DONE


def test_it_refuses_viewers_anonymous_visitors_and_get(client, viewer_user, operator_user, failed):
    url = reverse("snapshot-retry", args=[failed.pk])
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(viewer_user)
    assert client.post(url).status_code == 403
    client.force_login(operator_user)
    assert client.get(url).status_code == 405
    assert Snapshot.objects.get(pk=failed.pk).status == Snapshot.FAILED


def test_it_offers_the_retry_button_to_operators_only(client, viewer_user, operator_user, failed):
    detail = reverse("snapshot-detail", args=[failed.pk])
    retry = reverse("snapshot-retry", args=[failed.pk])
    client.force_login(operator_user)
    page = client.get(detail).content.decode()
    assert "recognition failed: boom" in page and f'action="{retry}"' in page

    client.force_login(viewer_user)
    page = client.get(detail).content.decode()
    assert "recognition failed: boom" in page and f'action="{retry}"' not in page
