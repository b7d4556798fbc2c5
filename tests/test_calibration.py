"""Threshold calibration: the error curves and the suggestion on a designed set of reviewed
faces, the page, and applying a threshold globally or per camera."""

import datetime as dt

import numpy as np
import pytest

from identity.models import Camera, ThresholdChange
from identity.services import review
from identity.services.calibration import calibration_compute, default_match_threshold, threshold_for
from identity.threshold_search import calibrate
from tests.review_data import at, make_camera, make_log, make_person

DAY = dt.date(2026, 3, 3)

# Designed so that FAR + FRR is smallest (2 errors of 20) at exactly these grid thresholds:
#   0.23, 0.24 (impostors 0.265 and 0.335 accepted), 0.27 .. 0.31 (impostor 0.335 accepted,
#   genuine 0.245 rejected) and 0.34 (genuines 0.245 and 0.315 rejected). Everywhere else
#   there are 3 or more errors. The middle of the 8 ties (the lower of the two middles) is 0.28.
IMPOSTORS = [0.02, 0.05, 0.08, 0.11, 0.14, 0.17, 0.20, 0.225, 0.265, 0.335]
GENUINES = [0.245, 0.315, 0.345, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70]


def test_it_computes_the_curve_and_suggests_the_middle_of_the_best_thresholds():
    result = calibrate(IMPOSTORS + GENUINES, [False] * 10 + [True] * 10)

    assert (result.genuine_count, result.impostor_count) == (10, 10)
    assert result.suggested == 0.28
    assert result.at(0.28) == (0.1, 0.1)
    assert result.at(0.0) == (1.0, 0.0) and result.at(1.0) == (0.0, 1.0)
    assert result.at(0.22) == (0.3, 0.0)  # impostors 0.225, 0.265, 0.335 get in
    assert len(result.thresholds) == 101 and np.all(np.diff(result.far) <= 0) and np.all(np.diff(result.frr) >= 0)


def test_it_refuses_to_suggest_from_too_few_reviews():
    result = calibrate(IMPOSTORS + GENUINES[:9], [False] * 10 + [True] * 9)
    assert result.suggested is None
    assert "at least 10 genuine and 10 impostor" in result.reason and "has 9 genuine, 10 impostor" in result.reason
    assert calibrate([], []).suggested is None


def _reviewed_set(media_root, admin_user):
    """The designed similarities as reviewed logs, through every kind of review."""
    alice, bob = make_person("Alice", "A1"), make_person("Bob", "B2")
    door = make_camera("Door")
    when = at(DAY, 9)
    for similarity in GENUINES[:5]:  # a known face, confirmed
        review.log_confirm(log=make_log(seen_at=when, person=alice, similarity=similarity, camera=door), user=admin_user)
    for similarity in GENUINES[5:]:  # an unknown face that was Bob after all (a false reject)
        log = make_log(seen_at=when, best_person=bob, similarity=similarity, camera=door)
        review.log_reassign(log=log, person=bob, user=admin_user)
    for similarity in IMPOSTORS[:4]:  # rejected: not this person
        review.log_reject(log=make_log(seen_at=when, person=alice, similarity=similarity), user=admin_user)
    for similarity in IMPOSTORS[4:7]:  # known as Alice, really Bob
        review.log_reassign(log=make_log(seen_at=when, person=alice, similarity=similarity), person=bob, user=admin_user)
    for similarity in IMPOSTORS[7:]:  # unknown, confirmed as nobody enrolled (best guess Bob was wrong)
        review.log_confirm(log=make_log(seen_at=when, best_person=bob, similarity=similarity), user=admin_user)
    # Not evidence: unreviewed, and reviewed with nobody to compare against.
    make_log(seen_at=when, person=alice, similarity=0.9)
    review.log_reject(log=make_log(seen_at=when, similarity=None, margin=None), user=admin_user)
    return door


@pytest.mark.django_db
def test_it_calibrates_from_reviewed_logs(media_root, admin_user):
    door = _reviewed_set(media_root, admin_user)

    result = calibration_compute()

    assert (result.genuine_count, result.impostor_count, result.suggested) == (10, 10, 0.28)
    on_door = calibration_compute(camera=door)
    assert (on_door.genuine_count, on_door.impostor_count, on_door.suggested) == (10, 0, None)


@pytest.mark.django_db
def test_it_shows_the_curve_and_the_suggestion(media_root, admin_user, admin_client):
    _reviewed_set(media_root, admin_user)

    response = admin_client.get("/calibration/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong id="suggested">0.28</strong>' in html
    assert '<strong id="genuine-count">10</strong>' in html and '<strong id="impostor-count">10</strong>' in html
    assert html.count('<polyline class="curve') == 2 and 'name="threshold"' in html


@pytest.mark.django_db
def test_it_applies_a_threshold_globally_then_per_camera(admin_user, admin_client):
    door, hall = make_camera("Door"), make_camera("Hall")
    assert threshold_for(door) == default_match_threshold()

    response = admin_client.post("/calibration/", {"threshold": "0.31"})
    assert response.status_code == 302
    assert threshold_for(None) == threshold_for(door) == 0.31

    admin_client.post("/calibration/", {"threshold": "0.4", "camera": str(door.pk)})
    door.refresh_from_db()
    assert door.threshold == 0.4 and threshold_for(door) == 0.4 and threshold_for(hall) == 0.31

    admin_client.post("/calibration/", {"threshold": ""})  # back to the engine default
    assert threshold_for(hall) == default_match_threshold() and threshold_for(Camera.objects.get(pk=door.pk)) == 0.4
    changes = list(ThresholdChange.objects.order_by("id").values_list("camera_id", "threshold", "applied_by_id"))
    assert changes == [(None, 0.31, admin_user.pk), (door.pk, 0.4, admin_user.pk), (None, None, admin_user.pk)]


@pytest.mark.django_db
def test_it_refuses_a_threshold_out_of_range(admin_client):
    for bad in ("1.5", "-0.1", "abc"):
        response = admin_client.post("/calibration/", {"threshold": bad}, follow=True)
        assert response.status_code == 200
    assert ThresholdChange.objects.count() == 0
    assert "between 0 and 1" in response.content.decode() or "not a number" in response.content.decode()


@pytest.mark.django_db
def test_it_is_for_admins_only(client, operator_user):
    client.force_login(operator_user)
    assert client.get("/calibration/").status_code == 403
    assert client.post("/calibration/", {"threshold": "0.5"}).status_code == 403
    assert ThresholdChange.objects.count() == 0

