"""The whole stack in a real browser: log in, enrol a person with the form and watch the photo
get accepted live, then upload a photo in another tab and watch the dashboard name the person,
all without reloading a page. Headless Chromium + a real Daphne server + a real Celery worker."""

import contextlib
import re

import pytest
from celery.contrib.testing.worker import start_worker

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
from tests.waiting import wait_until

WAIT_MS = 90_000  # the first recognition loads the ONNX models


@pytest.fixture
def async_unsafe_allowed(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are still sequential.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.django_db(transaction=True)
def test_it_enrols_and_recognises_live_in_the_browser(
    operator_user, tmp_path, async_unsafe_allowed
):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    from faceapp.celery import app
    from identity.models import Person

    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(live_server(tmp_path))
        browser = launch_chromium(stack.enter_context(sync_playwright()))
        stack.callback(browser.close)
        context = browser.new_context(viewport={"width": 1360, "height": 900})
        page = context.new_page()
        log_in(page, base_url, "operator", "pw-operator")
        expect(page.locator("h1")).to_have_text("Dashboard")

        # Enrol with the form; no worker runs yet, so the photo is shown pending first.
        page.goto(f"{base_url}/people/new/")
        page.fill("input[name=name]", "Aaron Peirsol")
        page.fill("input[name=code]", "AP-1")
        page.set_input_files("input[name=photos]", [str(FIXTURES / "lfw_person_a_1.jpg")])
        page.check("input[name=consent]")
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Enrol')")
        person = Person.objects.get(code="AP-1")
        assert page.url == f"{base_url}/people/{person.pk}/"
        sample = page.locator("#samples .sample")
        expect(sample).to_have_attribute("data-status", "pending")
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        mark_page(page, "faceappNoReload")

        # The worker accepts the photo: the page updates over its websocket, not by reloading.
        stack.enter_context(start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30))
        expect(sample).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
        expect(sample.locator(".status")).to_have_text("Accepted")
        assert page_kept(page, "faceappNoReload")
        page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)

        # The dashboard, live; a photo uploaded in another tab shows up on it.
        page.goto(f"{base_url}/")
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        mark_page(page, "faceappNoReload")
        upload_tab = context.new_page()
        upload_tab.goto(f"{base_url}/recognize/")
        upload_tab.set_input_files("input[name=photos]", [str(FIXTURES / "lfw_person_a_2.jpg")])
        with upload_tab.expect_navigation():
            upload_tab.click("button[type=submit]:has-text('Recognise')")
        assert upload_tab.url == f"{base_url}/"

        expect(page.locator("#feed .feed-item.known .feed-name").first).to_have_text("Aaron Peirsol", timeout=WAIT_MS)
        expect(page.locator("#feed .feed-item.known .badge").first).to_have_text("AP-1")
        expect(page.locator("#latest-boxes .face-box.known .face-label")).to_contain_text("Aaron Peirsol")
        expect(page.locator("#present li .att-name")).to_have_text(["Aaron Peirsol"], timeout=WAIT_MS)
        expect(page.locator("#latest-image")).to_have_js_property("complete", True)
        assert page.evaluate("document.getElementById('latest-image').naturalWidth") == 250
        assert page_kept(page, "faceappNoReload")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_it_enrols_from_the_webcam_and_recognises_camera_frames(
    operator_user, tmp_path, live_worker, async_unsafe_allowed
):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    from identity.models import Camera, FaceSample, MatchLog, Person

    camera = Camera.objects.create(name="Lobby webcam", kind=Camera.WEBCAM)
    live_data.live_keys_clear(camera)
    video = fake_camera_file(FIXTURES / "lfw_person_a_1.jpg", tmp_path / "face.y4m")
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(live_server(tmp_path))
        browser = launch_chromium(stack.enter_context(sync_playwright()), fake_camera_args(video))
        stack.callback(browser.close)
        context = browser.new_context(permissions=["camera"])
        page = context.new_page()
        log_in(page, base_url, "operator", "pw-operator")

        # Enrol with two captures from the (fake) webcam and no file.
        page.goto(f"{base_url}/people/new/")
        page.fill("input[name=name]", "Aaron Peirsol")
        page.click("[data-webcam] [data-start]")
        # Polled from here: the pages' CSP (no 'unsafe-eval') refuses wait_for_function's string.
        wait_until(lambda: page.evaluate("document.querySelector('[data-webcam] video').videoWidth") > 0, "the webcam")
        page.click("[data-webcam] [data-capture]")
        page.click("[data-webcam] [data-capture]")
        expect(page.locator("[data-thumbs] .thumb")).to_have_count(2)
        page.click("[data-thumbs] .thumb-remove >> nth=1")
        expect(page.locator("input[name=webcam_photos]")).to_have_count(1)
        page.check("input[name=consent]")
        with page.expect_navigation():
            page.click("button[type=submit]:has-text('Enrol')")
        expect(page.locator("#samples .sample")).to_have_attribute("data-status", "accepted", timeout=WAIT_MS)
        person = Person.objects.get(name="Aaron Peirsol")
        assert list(person.samples.values_list("source", "status")) == [("webcam", FaceSample.ACCEPTED)]

        # The camera page streams frames over its websocket and draws the recognised face.
        page.goto(f"{base_url}/cameras/{camera.pk}/")
        expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
        page.click("#camera [data-start]")
        label = page.locator("#camera [data-boxes] .face-box.known .face-label")
        expect(label).to_contain_text("Aaron Peirsol", timeout=WAIT_MS)
        expect(label.locator(".face-by")).to_have_text(re.compile("^(by this face|decided by the track)$"))
        expect(page.locator("#camera [data-stats]")).to_contain_text("(the last one ")
        expect(page.locator("#camera [data-visits] .visit.known")).to_contain_text("Aaron Peirsol", timeout=WAIT_MS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "camera.png"), full_page=True)

        # While the camera streams, the dashboard draws its boxes and lists the visit.
        dashboard = context.new_page()
        dashboard.goto(f"{base_url}/")
        boxes = dashboard.locator("#live-cameras .face-box.known .face-label")
        expect(boxes).to_contain_text("Aaron Peirsol", timeout=WAIT_MS)
        expect(dashboard.locator("#feed .feed-item.known").first).to_contain_text("Aaron Peirsol")
        # The browser camera's tile shows its live picture too (the camera page shows its own preview).
        expect(dashboard.locator("#live-cameras img[data-live-picture]")).to_have_count(1, timeout=WAIT_MS)
        expect(boxes).to_contain_text("Aaron Peirsol")
        dashboard.screenshot(path=str(ARTIFACTS / "dashboard_live.png"), full_page=True)
        dashboard.set_viewport_size({"width": 390, "height": 844})
        dashboard.screenshot(path=str(ARTIFACTS / "dashboard_live_narrow.png"), full_page=True)
        page.click("#camera [data-stop]")
    # One visit for the whole time in front of the camera, not one row per frame.
    assert MatchLog.objects.filter(person=person, snapshot__camera=camera).count() == 1
