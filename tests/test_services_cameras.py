"""Camera backpressure with the real Redis: one frame in flight per camera, newer frames
replace a waiting one, finishing a frame queues the waiting one."""

import pytest

from identity.models import Camera, Snapshot
from identity.services import cameras
from identity.services.realtime import redis_client
from identity.vision import ImageError
from tests import faces_data

pytestmark = pytest.mark.django_db

FRAME_A, FRAME_B, FRAME_C = (
    faces_data.photo("lfw_person_a_1.jpg"), faces_data.photo("lfw_person_a_2.jpg"), faces_data.photo("lfw_person_b_1.jpg")
)


@pytest.fixture
def camera(media_root):
    camera = Camera.objects.create(name="Door")
    # Camera ids come back after the test database rolls back: start from a clean slate.
    redis_client().delete(*cameras._keys(camera.pk))
    return camera


def _in_flight(camera) -> str | None:
    value = redis_client().get(cameras._keys(camera.pk)[0])
    return value.decode() if value else None


def test_it_queues_one_frame_and_keeps_only_the_newest_waiting(camera, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        statuses = [cameras.camera_frame_receive(camera=camera, jpeg=frame) for frame in (FRAME_A, FRAME_B, FRAME_C)]

    assert statuses == ["queued", "waiting", "replaced"]
    first = Snapshot.objects.get()
    assert (first.camera, first.status, len(queued)) == (camera, "pending", 1)
    assert _in_flight(camera) == str(first.pk)
    assert redis_client().get(cameras._keys(camera.pk)[1]) == FRAME_C
    assert cameras.camera_replaced_count(camera_id=camera.pk) == 1


def test_it_queues_the_waiting_frame_when_the_one_in_flight_is_done(camera, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A)
        cameras.camera_frame_receive(camera=camera, jpeg=FRAME_B)
        first = Snapshot.objects.get()

        cameras.camera_frame_done(camera_id=camera.pk, snapshot_id=first.pk)

    second = Snapshot.objects.exclude(pk=first.pk).get()
    assert second.image.read() == FRAME_B and len(queued) == 2
    assert _in_flight(camera) == str(second.pk)

    cameras.camera_frame_done(camera_id=camera.pk, snapshot_id=second.pk)

    assert _in_flight(camera) is None  # idle: the next frame goes straight in
    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_C) == "queued"


def test_it_keeps_the_slot_when_another_snapshot_of_that_camera_finishes(camera):
    cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A)
    live = Snapshot.objects.get()

    cameras.camera_frame_done(camera_id=camera.pk, snapshot_id=live.pk + 1000)  # e.g. an upload to that camera

    assert _in_flight(camera) == str(live.pk)
    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_B) == "waiting"


def test_it_refuses_a_frame_that_is_not_an_image_without_taking_the_slot(camera):
    with pytest.raises(ImageError, match="not an image"):
        cameras.camera_frame_receive(camera=camera, jpeg=b"hello")
    assert _in_flight(camera) is None and Snapshot.objects.count() == 0


def test_it_keeps_cameras_apart(camera):
    other = Camera.objects.create(name="Hall")
    redis_client().delete(*cameras._keys(other.pk))
    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A) == "queued"
    assert cameras.camera_frame_receive(camera=other, jpeg=FRAME_B) == "queued"
