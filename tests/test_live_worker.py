"""Camera frames through the real broker to a real live worker (Celery, live queue): the
frames of a browser camera become one visit, the worker's turn ends and the next one starts."""


import pytest

from identity.models import Camera, MatchLog, Snapshot
from identity.services import frames
from tests import live_data
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_turns_a_cameras_frames_into_one_visit(worker_enrolled_aaron, live_worker, media_root, settings):
    aaron = worker_enrolled_aaron
    settings.FACEAPP_TRACK_TIMEOUT_SECONDS = 1.0
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)

    live_data.frames_send(camera, "lfw_person_a_2.jpg", 20)
    live_data.frames_send(camera, None, 10)  # gone: the track ends

    visit = wait_until(lambda: MatchLog.objects.filter(frame_count__gt=1).first(), "the visit to end")
    assert (visit.person, visit.decision, visit.snapshot.camera) == (aaron, "known", camera)
    assert MatchLog.objects.count() == 1 and Snapshot.objects.count() == 1
    assert frames.frame_counts(camera_id=camera.pk)["received"] == 30
