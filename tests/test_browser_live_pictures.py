"""Live pictures in a real browser: an MJPEG camera (tests/streams.py) read by the camera readers,
its frames recognised by a real live worker; the camera page and the operator's dashboard tile show
what the camera sees with the boxes of that same frame, while a viewer who may see no face
(FACEAPP_VIEWER_MEDIA_HOURS=0) gets the boxes on black and never a picture."""

import contextlib

import pytest

from identity.models import Camera
from tests import live_data, streams
from tests.browser import ARTIFACTS, daphne_server, launch_chromium, log_in, require_chromium

pytestmark = pytest.mark.django_db(transaction=True)

WAIT_MS = 90_000  # the first frame loads the ONNX models


def _picture(page, scope: str) -> dict:
    """The live picture shown in `scope`: its natural size, and whether it sits under the box layer."""
    return page.evaluate("""(scope) => {
      const image = document.querySelector(scope + " img[data-live-picture]");
      const layer = image.parentElement.querySelector(".box-layer").getBoundingClientRect();
      const box = image.getBoundingClientRect();
      return {width: image.naturalWidth, height: image.naturalHeight,
              under: Math.abs(box.width - layer.width) < 2 && Math.abs(box.height - layer.height) < 2};
    }""", scope)


def test_it_shows_the_live_picture_under_its_boxes(
    worker_enrolled_aaron, operator_user, viewer_user, readers, tmp_path, monkeypatch
):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    scene = [live_data.scene("lfw_person_a_2.jpg", x=150 + 3 * (i % 10)) for i in range(20)]
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(streams.MjpegServer(scene, fps=10))
        camera = Camera.objects.create(name="Front door", kind=Camera.MJPEG, source_address=server.stream_url, fps=5)
        live_data.live_keys_clear(camera)
        port, _ = stack.enter_context(daphne_server(tmp_path, FACEAPP_VIEWER_MEDIA_HOURS="0"))
        base_url = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop in this thread
        browser = launch_chromium(stack.enter_context(sync_playwright()))
        stack.callback(browser.close)
        ARTIFACTS.mkdir(exist_ok=True)

        operator = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        log_in(operator, base_url, "operator", "pw-operator")
        operator.goto(f"{base_url}/cameras/{camera.pk}/")
        label = operator.locator("#camera [data-boxes] .face-box.known .face-label")
        expect(label).to_contain_text("Aaron Peirsol", timeout=WAIT_MS)
        expect(operator.locator("#camera img[data-live-picture]")).to_have_count(1, timeout=WAIT_MS)
        assert _picture(operator, "#camera") == {"width": 480, "height": 360, "under": True}
        operator.screenshot(path=str(ARTIFACTS / "live_picture_camera.png"), full_page=True)

        dashboard = operator.context.new_page()
        dashboard.goto(f"{base_url}/")
        tile = f'#live-cameras [data-camera-id="{camera.pk}"]'
        expect(dashboard.locator(f"{tile} .face-box.known .face-label")).to_contain_text("Aaron Peirsol", timeout=WAIT_MS)
        expect(dashboard.locator(f"{tile} img[data-live-picture]")).to_have_count(1, timeout=WAIT_MS)
        assert _picture(dashboard, tile) == {"width": 480, "height": 360, "under": True}
        dashboard.screenshot(path=str(ARTIFACTS / "live_picture_dashboard.png"), full_page=True)

        # A viewer who may see no face: the boxes, never a picture (none asked for; the view's refusal is
        # tests/test_permissions_routes.py's).
        viewer = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
        refused = []
        viewer.on("response", lambda r: refused.append(r.url) if "/live/" in r.url else None)
        log_in(viewer, base_url, "viewer", "pw-viewer")
        expect(viewer.locator(f"{tile} .face-box.known .face-label")).to_contain_text("Aaron Peirsol", timeout=WAIT_MS)
        viewer.wait_for_timeout(1500)  # a second of overlays, pictures among them (the operator watches)
        expect(viewer.locator(f"{tile} img")).to_have_count(0)
        assert refused == []
        viewer.screenshot(path=str(ARTIFACTS / "live_picture_viewer_refused.png"), full_page=True)
