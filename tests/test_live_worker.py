"""Camera frames through the real broker to a real live worker (Celery, live queue): the
frames of a browser camera become one visit, the worker's turn ends and the next one starts."""

import time

import pytest

from identity.models import Camera, MatchLog, Snapshot
from identity.services import frames
from tests import live_data
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _send(camera: Camera, name: str | None, count: int, fps: float = 5.0) -> None:
    for index in range(count):
        frames.frame_put(camera_id=camera.pk, jpeg=live_data.scene_jpeg(name, x=150 + 2 * index))
        time.sleep(1 / fps)


def test_it_turns_a_cameras_frames_into_one_visit(worker_enrolled_aaron, live_worker, media_root, settings):
    aaron = worker_enrolled_aaron
    settings.FACEAPP_TRACK_TIMEOUT_SECONDS = 1.0
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)

    _send(camera, "lfw_person_a_2.jpg", 20)
    _send(camera, None, 10)  # gone: the track ends

    visit = wait_until(lambda: MatchLog.objects.filter(frame_count__gt=1).first(), "the visit to end")
    assert (visit.person, visit.decision, visit.snapshot.camera) == (aaron, "known", camera)
    assert MatchLog.objects.count() == 1 and Snapshot.objects.count() == 1
    assert frames.frame_counts(camera_id=camera.pk)["received"] == 30
