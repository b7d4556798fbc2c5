"""The live worker's motion gate: a frame where nothing moved and no face is followed skips the
face detector and its overlay says so; a camera whose gate is off on its page detects every frame."""

import pytest

from identity.models import Camera
from identity.services import live
from tests import faces_data, live_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]

FRAME_SECONDS = 0.2


def _overlays(camera: Camera, names: list[str | None]) -> list[dict]:
    """The camera.overlay events of these frames, one per frame, from time 1,000,000."""
    group = f"camera-{camera.pk}"

    def work():
        for index, name in enumerate(names):
            jpeg = live_data.scene_jpeg(name, x=150 + 8 * index)
            assert live.live_frame_process(camera_id=camera.pk, captured_at=1_000_000.0 + index * FRAME_SECONDS,
                                           jpeg=jpeg)

    events, _ = faces_data.events_during([group], work)
    return [e for e in events[group] if e["type"] == "camera.overlay"]


def test_it_says_still_on_the_overlay_of_a_frame_the_detector_skipped(aaron, media_root):
    door = Camera.objects.create(name="Door")
    overlays = _overlays(door, [None] * 10 + ["lfw_person_a_2.jpg"] * 3)

    assert [o["still"] for o in overlays[:10]] == [False] + [True] * 9  # the first frame is detected
    assert [(o["still"], len(o["faces"])) for o in overlays[10:]] == [(False, 1)] * 3


def test_it_detects_every_frame_of_a_camera_whose_gate_is_off(aaron, media_root):
    door = Camera.objects.create(name="Door", motion_gate=False)
    overlays = _overlays(door, [None] * 10)

    assert not any(o["still"] for o in overlays)


def test_it_detects_every_frame_when_the_gate_is_off_for_the_install(aaron, media_root, settings):
    settings.FACEAPP_MOTION_GATE = False
    overlays = _overlays(Camera.objects.create(name="Door"), [None] * 10)

    assert not any(o["still"] for o in overlays)
