"""No result lost on the live pages, in a real browser (real Daphne, Redis, Celery worker,
headless Chromium): an upload's faces reach the dashboard the upload leads to, however soon the
worker decides them (before the page's socket is open: replayed); the camera page lists the
day's earlier visits on load; the review queue takes a camera visit live."""

import contextlib
import datetime as dt

import pytest
from django.utils import timezone

from identity.models import Camera, MatchLog, Snapshot
from identity.views.dashboard import FEED_LENGTH
from tests import live_data
from tests.browser import (
    ARTIFACTS,
    fake_camera_args,
    fake_camera_file,
    launch_chromium,
    live_server,
    log_in,
    mark_page,
    page_kept,
    require_chromium,
)
from tests.faces_data import FIXTURES
from tests.review_data import make_log
from tests.waiting import wait_until

ROUNDS = 20
SHOWN_MS = 15_000  # once the worker has written the faces: a deadline for slow machines
WAIT_MS = 90_000  # the first frames load the ONNX models


@pytest.mark.django_db(transaction=True)
def test_it_shows_every_uploads_faces_on_the_dashboard_without_a_reload(operator_user, browser_site, celery_worker):
    from playwright.sync_api import expect

    base_url, browser = browser_site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base_url, "operator", "pw-operator")
    missed = []
    for round_ in range(ROUNDS):
        before = Snapshot.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        page.goto(f"{base_url}/recognize/")
        page.set_input_files("input[name=photos]", [str(FIXTURES / "lfw_person_a_2.jpg")])
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Recognise')")
        assert page.url == f"{base_url}/"
        mark_page(page, "faceappNoReload")
        snapshot = Snapshot.objects.get(pk__gt=before)
        wait_until(lambda: Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.DONE).exists(), "the worker")
        (log_id,) = snapshot.logs.values_list("pk", flat=True)
        try:
            expect(page.locator(f'#feed [data-log-id="{log_id}"]')).to_have_count(1, timeout=SHOWN_MS)
        except AssertionError:
            missed.append(round_)
        assert page_kept(page, "faceappNoReload")
        if round_ == 0:
            page.screenshot(path=str(ARTIFACTS / "replay_dashboard_first_upload.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "replay_dashboard_after_20_uploads.png"), full_page=True)
    assert missed == []
    assert page.locator("#feed .feed-item").count() == min(ROUNDS, FEED_LENGTH)  # the latest visits only


@pytest.mark.django_db(transaction=True)
def test_it_lists_the_days_earlier_visits_on_the_camera_page(operator_user, browser_site):
    from playwright.sync_api import expect

    base_url, browser = browser_site
    camera = Camera.objects.create(name="Front door", kind=Camera.WEBCAM)
    other = Camera.objects.create(name="Back door", kind=Camera.WEBCAM)
    now = timezone.now()
    first = make_log(seen_at=now - dt.timedelta(seconds=90), camera=camera)
    second = make_log(seen_at=now - dt.timedelta(seconds=30), camera=camera)
    make_log(seen_at=now - dt.timedelta(days=1, seconds=1), camera=camera)  # yesterday
    make_log(seen_at=now - dt.timedelta(seconds=60), camera=other)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    log_in(page, base_url, "operator", "pw-operator")

    page.goto(f"{base_url}/cameras/{camera.pk}/")

    visits = page.locator("#camera [data-visits] .visit")
    expect(visits).to_have_count(2)
    assert [visits.nth(i).get_attribute("data-visit-id") for i in range(2)] == [str(second.pk), str(first.pk)]
    expect(visits.first).to_contain_text("U-0000")
    expect(page.locator("#camera [data-visits] [data-empty]")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "replay_camera_visits_on_load.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_it_takes_a_camera_visit_into_the_review_queue_live(operator_user, tmp_path, live_worker, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    camera = Camera.objects.create(name="Lobby webcam", kind=Camera.WEBCAM)
    live_data.live_keys_clear(camera)
    video = fake_camera_file(FIXTURES / "lfw_person_b_1.jpg", tmp_path / "stranger.y4m")  # nobody enrolled
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(live_server(tmp_path))
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop; the ORM calls are sequential
        browser = launch_chromium(stack.enter_context(sync_playwright()), fake_camera_args(video))
        stack.callback(browser.close)
        context = browser.new_context(permissions=["camera"], viewport={"width": 1280, "height": 900})
        review = context.new_page()
        log_in(review, base_url, "operator", "pw-operator")
        review.goto(f"{base_url}/review/")
        expect(review.locator("#review-empty")).to_be_visible()
        expect(review.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        mark_page(review, "faceappNoReload")

        page = context.new_page()
        page.goto(f"{base_url}/cameras/{camera.pk}/")
        expect(page.locator("#camera [data-visits] [data-empty]")).to_have_text("No visit yet.")
        page.click("#camera [data-start]")
        expect(page.locator("#camera [data-visits] .visit.unknown")).to_have_count(1, timeout=WAIT_MS)
        visit = MatchLog.objects.get(snapshot__camera=camera)

        expect(review.locator("#review-card")).to_have_attribute("data-log-id", str(visit.pk), timeout=WAIT_MS)
        expect(review.locator("#review-seen")).to_contain_text("Lobby webcam")
        assert page_kept(review, "faceappNoReload")
        review.screenshot(path=str(ARTIFACTS / "replay_review_camera_visit.png"), full_page=True)
        page.click("#camera [data-stop]")

        again = context.new_page()  # a page opened later lists the visit from the start
        again.goto(f"{base_url}/cameras/{camera.pk}/")
        expect(again.locator(f'#camera [data-visits] .visit[data-visit-id="{visit.pk}"]')).to_have_count(1)
        again.screenshot(path=str(ARTIFACTS / "replay_camera_page_reopened.png"), full_page=True)
