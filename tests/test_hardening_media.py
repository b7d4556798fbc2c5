"""Who sees which faces (issue 13, item 5; issue 25, item 8; README, Privacy): enrolment photos
and sample crops need the operator role; viewers see match-log crops, snapshots and snapshot
pages of the live window only, and an older id answers them 404."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from tests import review_data

pytestmark = pytest.mark.django_db


def _route_names(patterns) -> list[str]:
    names = []
    for pattern in patterns:
        names += _route_names(pattern.url_patterns) if hasattr(pattern, "url_patterns") else [pattern.name]
    return names


def _sample_routes() -> list[str]:
    """The name of every route that serves a file of an enrolment sample."""
    return sorted(name for name in _route_names(get_resolver().url_patterns) if (name or "").startswith("media-sample-"))


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _old(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def _named_log(*, hours_ago: float):
    return review_data.make_log(seen_at=_old(hours=hours_ago), person=review_data.make_person("Ada", code="A1"))


@pytest.fixture
def sample(media_root):
    return review_data.make_person("Ada", code="A1").samples.get()


def test_it_knows_both_routes_of_enrolment_sample_files():
    assert _sample_routes() == ["media-sample-crop", "media-sample-photo"]


@pytest.mark.parametrize("route", _sample_routes())
def test_it_refuses_a_viewer_every_enrolment_photo_and_sample_crop(route, sample, viewer_user):
    assert _as(viewer_user).get(reverse(route, args=[sample.pk])).status_code == 403


@pytest.mark.parametrize("route", _sample_routes())
def test_it_serves_an_operator_every_enrolment_photo_and_sample_crop(route, sample, operator_user):
    response = _as(operator_user).get(reverse(route, args=[sample.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")


def test_it_serves_a_viewer_the_face_crop_and_snapshot_of_a_recent_visit(media_root, viewer_user):
    log = review_data.make_log(seen_at=_old(hours=1))
    viewer = _as(viewer_user)
    assert viewer.get(reverse("media-log-crop", args=[log.pk])).status_code == 200
    assert viewer.get(reverse("media-snapshot", args=[log.snapshot_id])).status_code == 200


def test_it_hides_the_face_crop_and_snapshot_of_an_older_visit_from_a_viewer(media_root, viewer_user, settings):
    log = review_data.make_log(seen_at=_old(hours=settings.FACEAPP_VIEWER_MEDIA_HOURS + 1))
    viewer = _as(viewer_user)
    assert viewer.get(reverse("media-log-crop", args=[log.pk])).status_code == 404
    assert viewer.get(reverse("media-snapshot", args=[log.snapshot_id])).status_code == 404


def test_it_shows_a_viewer_the_page_of_a_recent_snapshot(media_root, viewer_user):
    log = _named_log(hours_ago=1)
    response = _as(viewer_user).get(reverse("snapshot-detail", args=[log.snapshot_id]))
    assert response.status_code == 200
    assert log.person.name in response.content.decode()


def test_it_hides_the_page_of_an_older_snapshot_from_a_viewer(media_root, viewer_user):
    log = _named_log(hours_ago=24 * 20)  # the attack: a 20-day-old snapshot
    response = _as(viewer_user).get(reverse("snapshot-detail", args=[log.snapshot_id]))
    assert response.status_code == 404
    assert log.person.name not in response.content.decode()


def test_it_shows_an_operator_the_page_of_an_older_snapshot(media_root, operator_user):
    log = _named_log(hours_ago=24 * 20)
    response = _as(operator_user).get(reverse("snapshot-detail", args=[log.snapshot_id]))
    assert response.status_code == 200
    assert log.person.name in response.content.decode()


def test_it_serves_an_operator_the_face_crop_and_snapshot_of_an_older_visit(media_root, operator_user):
    log = review_data.make_log(seen_at=_old(hours=24 * 365))
    operator = _as(operator_user)
    assert operator.get(reverse("media-log-crop", args=[log.pk])).status_code == 200
    assert operator.get(reverse("media-snapshot", args=[log.snapshot_id])).status_code == 200


def test_it_counts_a_long_visit_from_its_last_frame(media_root, viewer_user, settings):
    log = review_data.make_log(seen_at=_old(hours=settings.FACEAPP_VIEWER_MEDIA_HOURS + 5))
    log.last_seen = _old(hours=1)  # the camera still saw them an hour ago
    log.save()
    assert _as(viewer_user).get(reverse("media-log-crop", args=[log.pk])).status_code == 200


def test_it_refuses_a_viewer_every_face_when_the_window_is_zero(media_root, viewer_user, settings):
    settings.FACEAPP_VIEWER_MEDIA_HOURS = 0
    log = review_data.make_log(seen_at=timezone.now())
    assert _as(viewer_user).get(reverse("media-log-crop", args=[log.pk])).status_code == 404
    assert _as(viewer_user).get(reverse("media-snapshot", args=[log.snapshot_id])).status_code == 404
    assert _as(viewer_user).get(reverse("snapshot-detail", args=[log.snapshot_id])).status_code == 404

