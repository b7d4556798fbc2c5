"""The cameras pages in a real browser, in a user's words: the form offers only the kinds a user
can choose, and an offline camera says so and what to check, with no analysis rate."""

import pytest

from identity.live.source_errors import MESSAGES, REFUSED
from identity.models import Camera
from identity.services import frames
from identity.services.camera_sources import camera_source_set
from tests.browser import ARTIFACTS, log_in


@pytest.mark.django_db(transaction=True)
def test_it_offers_only_the_kinds_a_user_can_choose_in_the_camera_form(admin_user, browser_site):
    Camera.objects.create(name="Uploads", kind=Camera.UPLOAD)
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    log_in(page, base_url, "admin", "password")

    page.goto(f"{base_url}/cameras/")
    offered = page.eval_on_selector_all("select[name=kind] option", "options => options.map(o => o.textContent)")
    page.eval_on_selector("select[name=kind]", "select => { select.size = select.options.length; }")  # the list open, for the picture
    page.screenshot(path=str(ARTIFACTS / "camera_form_kinds.png"), full_page=True)
    assert offered == ["Browser webcam", "RTSP stream", "HTTP MJPEG stream", "HTTP snapshot URL", "Video file"]


@pytest.mark.django_db(transaction=True)
def test_it_shows_an_offline_camera_in_words_without_an_analysis_rate(admin_user, browser_site):
    gate = Camera(name="Gate", kind=Camera.RTSP)
    camera_source_set(camera=gate, url="rtsp://admin:secret@192.168.1.20/stream")
    gate.save()
    frames.reader_status_put(camera_id=gate.pk, status={"state": "reconnecting", "error": MESSAGES[REFUSED],
                                                         "fps_in": 0.0, "reconnects": 3})
    frames.live_stats_put(camera_id=gate.pk, stats={"fps": 4.98})
    base_url, browser = browser_site
    page = browser.new_context(viewport={"width": 1280, "height": 700}).new_page()
    log_in(page, base_url, "admin", "password")

    page.goto(f"{base_url}/cameras/{gate.pk}/")
    page.screenshot(path=str(ARTIFACTS / "camera_offline_status.png"), full_page=True)
    text = page.inner_text("main")
    assert "offline, trying again" in text and "nothing answers at that address and port" in text
    assert "4.98" not in text and "pictures a second" not in text and "pictures checked for faces: 0" in text
