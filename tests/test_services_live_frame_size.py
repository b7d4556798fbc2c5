"""The live worker sizes each camera's detector pass from its smallest face: the camera's own
setting, else the site's (FACEAPP_CAMERA_MIN_FACE_PX), else the name size; a near face is found and
named either way, a far face smaller than asked for is not looked for."""

import pytest

from identity.models import Camera
from identity.services import live
from tests import faces_data, live_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]

NEAR, FAR = 300, 80  # photo sides on a 640x480 frame: faces of about 120 and 32 px


def _faces(camera: Camera, side: int, *, start: float = 1_000_000.0, frames: int = 4) -> list[list[dict]]:
    """Each processed frame's faces on the camera's overlay, `frames` frames of person A from `start`."""
    group = f"camera-{camera.pk}"

    def work():
        for index in range(frames):
            jpeg = faces_data.jpeg(live_data.scene("lfw_person_a_2.jpg", x=150 + 4 * index, side=side))
            assert live.live_frame_process(camera_id=camera.pk, captured_at=start + index * 0.2, jpeg=jpeg)

    events, _ = faces_data.events_during([group], work)
    return [e["faces"] for e in events[group] if e["type"] == "camera.overlay"]


def test_it_looks_for_every_face_large_enough_to_name_by_default(aaron, settings):
    camera = Camera(name="Door")

    assert live.camera_min_face_px(camera) == 28  # w600k_mbf's name size
    settings.FACEAPP_CAMERA_MIN_FACE_PX = 0
    assert live.camera_min_face_px(camera) == 0  # the usual 640 px input
    camera.min_face_px = 60
    assert live.camera_min_face_px(camera) == 60


def test_it_finds_a_far_face_large_enough_to_name(aaron, media_root):
    faces = _faces(Camera.objects.create(name="Hall", motion_gate=False), FAR)

    assert [len(f) for f in faces] == [1, 1, 1, 1]


def test_it_looks_only_for_faces_as_large_as_the_camera_asks(aaron, media_root):
    door = Camera.objects.create(name="Door", motion_gate=False, min_face_px=120)

    assert [len(f) for f in _faces(door, FAR)] == [0, 0, 0, 0]
    near = _faces(door, NEAR, start=1_000_010.0)
    assert [len(f) for f in near] == [1, 1, 1, 1] and near[-1][0]["label"] == "Aaron Peirsol"


def test_it_takes_the_sites_smallest_face_for_a_camera_with_none(aaron, media_root, settings):
    settings.FACEAPP_CAMERA_MIN_FACE_PX = 120

    assert [len(f) for f in _faces(Camera.objects.create(name="Door", motion_gate=False), FAR)] == [0, 0, 0, 0]
