"""Camera frames with the real Redis: each camera's newest frame waits for the live worker,
a newer one replaces it, bad frames and floods are refused, cameras are kept apart."""

import time

import pytest

from faceapp.redis_client import redis_client
from identity.models import Camera, Snapshot
from identity.services import cameras, frames
from identity.vision import ImageError
from tests import faces_data, live_data

pytestmark = pytest.mark.django_db

FRAME_A, FRAME_B, FRAME_C = (
    faces_data.photo("lfw_person_a_1.jpg"), faces_data.photo("lfw_person_a_2.jpg"), faces_data.photo("lfw_person_b_1.jpg")
)


def _clean(camera: Camera) -> Camera:
    live_data.live_keys_clear(camera)
    return camera


@pytest.fixture
def camera(media_root):
    return _clean(Camera.objects.create(name="Door"))


def _waiting(shard: int) -> dict[int, bytes]:
    return {camera_id: jpeg for camera_id, _, jpeg, _ in frames.frames_take(shard=shard)}


def test_it_keeps_only_the_newest_frame_of_a_camera_waiting(camera):
    statuses = [cameras.camera_frame_receive(camera=camera, jpeg=frame) for frame in (FRAME_A, FRAME_B, FRAME_C)]

    assert statuses == ["queued", "replaced", "replaced"]
    assert _waiting(frames.shard_of(camera.pk)) == {camera.pk: FRAME_C}
    assert frames.frame_counts(camera_id=camera.pk)["replaced"] == 2
    assert frames.frame_counts(camera_id=camera.pk) == {"received": 3, "replaced": 2}


def test_it_stores_no_frame(camera):
    cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A)
    assert Snapshot.objects.count() == 0


def test_it_queues_the_next_frame_once_the_waiting_one_was_taken(camera):
    cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A)
    assert _waiting(frames.shard_of(camera.pk)) == {camera.pk: FRAME_A}
    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_B) == "queued"


def test_it_counts_a_frame_that_expired_unread_when_the_next_one_comes(camera, monkeypatch):
    monkeypatch.setattr(frames, "FRAME_SECONDS", 1)  # no live worker takes it: gone in a second
    cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A)
    client = redis_client()
    while client.exists(f"faceapp:live:c:{camera.pk}:frame"):
        time.sleep(0.1)

    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_B) == "queued"
    assert frames.frame_counts(camera_id=camera.pk) == {"received": 2, "expired": 1}
    assert _waiting(frames.shard_of(camera.pk)) == {camera.pk: FRAME_B}
    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_C) == "queued"  # B was taken: none lost
    assert frames.frame_counts(camera_id=camera.pk)["expired"] == 1


def test_it_refuses_a_frame_that_is_not_an_image(camera):
    with pytest.raises(ImageError, match="not an image"):
        cameras.camera_frame_receive(camera=camera, jpeg=b"hello")
    assert _waiting(frames.shard_of(camera.pk)) == {}


def test_it_keeps_cameras_apart(camera, settings):
    settings.FACEAPP_LIVE_SHARDS = 1  # both cameras in one shard
    other = _clean(Camera.objects.create(name="Hall"))
    assert cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A) == "queued"
    assert cameras.camera_frame_receive(camera=other, jpeg=FRAME_B) == "queued"
    assert _waiting(0) == {camera.pk: FRAME_A, other.pk: FRAME_B}


def test_it_drops_frames_over_the_camera_rate(camera, settings):
    settings.FACEAPP_RATE_CAMERA_FPS = 2  # 4 frames in the 2 s window
    statuses = [cameras.camera_frame_receive(camera=camera, jpeg=FRAME_A) for _ in range(6)]
    assert statuses.count("rate-limited") == 2


def test_it_gives_a_shard_to_one_owner_at_a_time(camera):
    shard = frames.shard_of(camera.pk)
    redis_client().delete(f"faceapp:live:s:{shard}:lease")
    lease = frames.lease_take(shard=shard)
    assert lease and frames.lease_take(shard=shard) is None
    token = lease.token
    assert frames.lease_renew(shard=shard, token=token) and not frames.lease_renew(shard=shard, token="other")
    frames.lease_release(shard=shard, token=token)
    assert frames.lease_take(shard=shard) is not None
