"""One process pushes a camera's status each second: the reader for a stream camera (its push
carries the live worker's figures, read from Redis), so a stream camera's pages get one status a
second, not two; the live worker pushes a webcam's (test_services_live)."""

import pytest

from identity.models import Camera
from identity.services import frames, live
from tests import faces_data, live_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]


def _statuses_while_processing(camera: Camera) -> list[dict]:
    """The camera.status events its page gets while the live worker processes 3 frames of it."""
    group = f"camera-{camera.pk}"

    def work():
        for index in range(3):
            jpeg = live_data.scene_jpeg("lfw_person_a_2.jpg", x=150 + 4 * index)
            assert live.live_frame_process(camera_id=camera.pk, captured_at=1_000_000.0 + index * 0.2, jpeg=jpeg)

    events, _ = faces_data.events_during([group], work)
    return [e for e in events[group] if e["type"] == "camera.status"]


def test_it_leaves_a_stream_cameras_status_to_its_reader(aaron, media_root):
    door = Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:8554/door")

    assert _statuses_while_processing(door) == []
    assert frames.camera_readings(camera_ids=[door.pk])[door.pk].live["processed"] >= 1  # what the reader pushes
