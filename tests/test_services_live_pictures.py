"""Live pictures on the live worker's frame path (real engine, real Redis): none is made while
nobody watches; a watched camera's processed frame is kept small, named by that frame's overlay,
at most once per PICTURE_SECONDS, and dropped with the camera or by an erasure."""

import cv2
import numpy as np
import pytest

from faceapp.redis_client import redis_client
from identity.models import Camera
from identity.services import cameras, live, live_pictures
from identity.services.erasure import redis_forget
from tests import faces_data, live_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]

START = 1_000_000.0


@pytest.fixture
def door():
    camera = Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/none")
    live_data.live_keys_clear(camera)
    redis_client().delete("faceapp:live:watched:all")
    yield camera
    redis_client().delete("faceapp:live:watched:all", f"faceapp:live:c:{camera.pk}:watched")


def _overlays(camera: Camera, count: int, *, due_each_frame: bool = True) -> list[dict]:
    """The overlays of `count` frames of Aaron; `due_each_frame`: as if PICTURE_SECONDS passed before each."""

    def work():
        for index in range(count):
            state = live._cameras.get(camera.pk)
            if due_each_frame and state is not None:
                state.picture_at = float("-inf")
            jpeg = live_data.scene_jpeg("lfw_person_a_2.jpg", x=150 + 2 * index)
            assert live.live_frame_process(camera_id=camera.pk, captured_at=START + index * 0.2, jpeg=jpeg)

    events, _ = faces_data.events_during([f"camera-{camera.pk}"], work)
    return [e for e in events[f"camera-{camera.pk}"] if e["type"] == "camera.overlay"]


def test_it_makes_no_picture_while_nobody_watches(aaron, door, media_root):
    overlays = _overlays(door, 4)

    assert len(overlays) == 4 and all(o["faces"] for o in overlays)
    assert [o["picture"] for o in overlays] == [None] * 4
    assert live_pictures.picture_get(camera_id=door.pk) is None


def test_it_keeps_the_watched_frame_named_by_its_overlay(aaron, door, media_root):
    live_pictures.pictures_watch(camera_id=door.pk)

    (overlay,) = _overlays(door, 1)

    picture = live_pictures.picture_get(camera_id=door.pk)
    assert overlay["picture"]["id"] == picture.id == live_pictures.picture_id(START)
    assert overlay["picture"]["url"] == f"/media/cameras/{door.pk}/live/{picture.id}"
    image = cv2.imdecode(np.frombuffer(picture.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (360, 480)  # 640x480 scaled to a tile's 480 px, the frame's shape kept
    # The overlay's box, scaled like the picture, frames the face in it: the face's pixels differ from the grey.
    x1, y1, x2, y2 = (round(v * 480 / overlay["width"]) for v in overlay["faces"][0]["box"])
    assert image[y1:y2, x1:x2].std() > 20 and abs(float(image[:, :40].mean()) - 128) < 3


def test_it_makes_pictures_for_every_camera_while_a_dashboard_watches(aaron, door, media_root):
    live_pictures.pictures_watch(camera_id=None)

    overlays = _overlays(door, 2)

    assert all(o["picture"] for o in overlays)
    assert live_pictures.picture_get(camera_id=door.pk).id == live_pictures.picture_id(START + 0.2)


def test_it_keeps_at_most_one_picture_per_interval(aaron, door, media_root, monkeypatch):
    monkeypatch.setattr(live_pictures, "PICTURE_SECONDS", 3600.0)
    live_pictures.pictures_watch(camera_id=door.pk)

    overlays = _overlays(door, 3, due_each_frame=False)

    assert [bool(o["picture"]) for o in overlays] == [True, False, False]


def test_it_drops_the_picture_with_the_camera_and_on_an_erasure(aaron, door, media_root, django_capture_on_commit_callbacks):
    live_pictures.pictures_watch(camera_id=door.pk)
    _overlays(door, 1)
    redis_forget(texts=["nobody in particular"])
    assert live_pictures.picture_get(camera_id=door.pk) is None

    live._cameras.clear()
    _overlays(door, 1)
    with django_capture_on_commit_callbacks(execute=True):
        cameras.camera_delete(camera=door, actor=None)
    assert live_pictures.picture_get(camera_id=door.pk) is None
