"""The kiosk in a real browser (issue 22, "Must show"): Chromium's fake camera plays a video made
from a photo of Aaron (not the enrolment photo) into /kiosk/ on a tablet and on a 390 px phone,
both set up with the kiosk camera's id and device token and no session; the frames go over the
camera's socket to a real live worker, whose named visit becomes an IN at the kiosk, and both
pages greet Aaron by name. Headless Chromium + a real Daphne server + a real Celery worker."""

import contextlib
import re

import pytest

from attendance.models import AttendanceEvent, CameraRole
from attendance.presenters import KIOSK_STRANGER
from identity.models import Camera
from tests import live_data
from tests.browser import (
    ARTIFACTS, RECORD_VIOLATIONS, fake_camera_args, fake_camera_file, launch_chromium, live_server, require_chromium,
)
from tests.faces_data import FIXTURES

WAIT_MS = 90_000  # the first recognition loads the ONNX models
TABLET = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}


def set_up(page, base_url: str, camera: Camera) -> None:
    page.goto(f"{base_url}/kiosk/")
    page.fill("[data-camera-id]", str(camera.pk))
    page.fill("[data-token]", camera.token)
    page.click("[data-save]")


@pytest.mark.django_db(transaction=True)
def test_it_greets_aaron_by_name_with_an_in_at_the_kiosk(worker_enrolled_aaron, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    kiosk = Camera.objects.create(name="Door tablet", kind=Camera.WEBCAM)
    CameraRole.objects.create(camera=kiosk, role=CameraRole.KIOSK)
    live_data.live_keys_clear(kiosk)
    video = fake_camera_file(FIXTURES / "lfw_person_a_2.jpg", tmp_path / "aaron.y4m")
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(live_server(tmp_path))
        # Playwright's loop runs in this thread and the ORM calls here are sequential (set after Daphne started).
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = launch_chromium(stack.enter_context(sync_playwright()), fake_camera_args(video))
        stack.callback(browser.close)
        tablet = browser.new_context(viewport=TABLET, permissions=["camera"]).new_page()
        phone = browser.new_context(viewport=PHONE, permissions=["camera"]).new_page()
        for page in (tablet, phone):
            page.add_init_script(RECORD_VIOLATIONS)
            set_up(page, base_url, kiosk)
            expect(page.locator("[data-setup]")).to_be_hidden()
            expect(page.locator("[data-note]")).to_have_text("Look at the camera to check in or out", timeout=WAIT_MS)
            assert page.evaluate("localStorage.getItem('faceapp.kiosk')") is not None

        # The live worker names the visit; attendance records the IN and greets at both pages at once.
        for page in (tablet, phone):
            expect(page.locator("[data-greeting] [data-name]")).to_have_text("Aaron Peirsol", timeout=WAIT_MS)
        tablet.screenshot(path=str(ARTIFACTS / "kiosk_tablet.png"))
        phone.screenshot(path=str(ARTIFACTS / "kiosk_narrow.png"))
        for page in (tablet, phone):
            expect(page.locator("[data-greeting] [data-direction]")).to_have_text(re.compile(r"^IN · \d\d:\d\d$"))
            expect(page.locator("[data-greeting] [data-status]")).to_have_text("on time")  # in no group: nobody waits
            assert page.locator("[data-greeting] img").count() == 0
            assert page.evaluate("window.cspViolations") == []  # the site's Content-Security-Policy holds
        event = AttendanceEvent.objects.get(person=worker_enrolled_aaron)
        assert (event.kind, event.camera_id) == (AttendanceEvent.IN, kiosk.pk)

        # The tablet keeps its kiosk across a reload, and forgets it when told.
        tablet.reload()
        expect(tablet.locator("[data-note]")).to_have_text("Look at the camera to check in or out", timeout=WAIT_MS)
        expect(tablet.locator("[data-setup]")).to_be_hidden()
        tablet.click("[data-forget]")
        expect(tablet.locator("[data-setup]")).to_be_visible()
        assert tablet.evaluate("localStorage.getItem('faceapp.kiosk')") is None


@pytest.mark.django_db(transaction=True)
def test_it_sends_a_stranger_to_the_office(worker_enrolled_aaron, tmp_path, monkeypatch):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    kiosk = Camera.objects.create(name="Door tablet", kind=Camera.WEBCAM)
    CameraRole.objects.create(camera=kiosk, role=CameraRole.KIOSK)
    live_data.live_keys_clear(kiosk)
    video = fake_camera_file(FIXTURES / "lfw_person_b_1.jpg", tmp_path / "stranger.y4m")  # nobody enrolled
    ARTIFACTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(live_server(tmp_path))
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as above: the ORM after Daphne started
        browser = launch_chromium(stack.enter_context(sync_playwright()), fake_camera_args(video))
        stack.callback(browser.close)
        phone = browser.new_context(viewport=PHONE, permissions=["camera"]).new_page()
        phone.add_init_script(RECORD_VIOLATIONS)
        set_up(phone, base_url, kiosk)

        expect(phone.locator("[data-greeting] [data-name]")).to_have_text(KIOSK_STRANGER, timeout=WAIT_MS)
        phone.screenshot(path=str(ARTIFACTS / "kiosk_stranger_narrow.png"))
        expect(phone.locator("[data-greeting] [data-direction]")).to_have_text("")
        assert phone.evaluate("window.cspViolations") == []
    assert not AttendanceEvent.objects.exists()  # a stranger checks nobody in
