"""The live worker's frame path on real photos: tracks become visits (one row per appearance,
one crop, the best frame as evidence, no stored frames), the cooldown, strangers, overlays."""

import time

import pytest

from faceapp.redis_client import redis_client
from identity.models import Camera, MatchLog, ProvisionalIdentity, Snapshot
from identity.services import frames, live
from tests import faces_data, live_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]

FRAME_SECONDS = 0.2  # 5 fps


@pytest.fixture
def door():
    return Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/none")


def _show(camera: Camera, name: str | None, frames: int, start: float) -> float:
    """`frames` frames of `name` (moving a little, as a person does), from time `start`."""
    for index in range(frames):
        jpeg = live_data.scene_jpeg(name, x=150 + 2 * index)
        assert live.live_frame_process(camera_id=camera.pk, captured_at=start, jpeg=jpeg)
        start += FRAME_SECONDS
    return start


def test_it_stores_one_visit_for_twenty_frames_of_one_person(aaron, door, media_root, committed):
    snapshots_before = Snapshot.objects.count()
    with committed():
        end = _show(door, "lfw_person_a_2.jpg", 20, 1_000_000.0)
        _show(door, None, 20, end)  # the person left: the track ends

    (visit,) = MatchLog.objects.all()
    assert (visit.person, visit.decision, visit.assigned_id, visit.frame_count) == (aaron, "known", "AP", 20)
    assert (visit.last_seen - visit.created_at).total_seconds() == pytest.approx(19 * FRAME_SECONDS, abs=0.01)
    assert Snapshot.objects.count() == snapshots_before + 1  # the evidence frame, not 20 frames
    stored = faces_data.media_files(media_root)
    assert stored == sorted([visit.crop.name, visit.snapshot.image.name])
    assert (visit.snapshot.width, visit.snapshot.height) == (640, 480)


def test_it_extends_the_visit_within_the_cooldown_and_opens_another_after_it(aaron, door, settings, media_root):
    settings.FACEAPP_VISIT_COOLDOWN_SECONDS = 30.0
    end = _show(door, "lfw_person_a_2.jpg", 6, 1_000_000.0)
    end = _show(door, None, 20, end)  # gone 4 s: the track ended
    end = _show(door, "lfw_person_a_2.jpg", 6, end)  # back within 30 s: same visit
    end = _show(door, None, 20, end)
    (visit,) = MatchLog.objects.all()
    assert visit.frame_count == 12

    end = _show(door, None, 20, end + 60.0)  # away for over a minute
    _show(door, "lfw_person_a_2.jpg", 6, end)
    _show(door, None, 20, end + 10)
    assert MatchLog.objects.filter(person=aaron).count() == 2


def test_it_gives_a_stranger_one_provisional_id_for_the_whole_visit(aaron, door, media_root):
    end = _show(door, "lfw_person_b_1.jpg", 10, 1_000_000.0)
    _show(door, None, 20, end)

    (visit,) = MatchLog.objects.all()
    (stranger,) = ProvisionalIdentity.objects.all()
    assert (visit.decision, visit.person, visit.provisional, visit.assigned_id) == ("unknown", None, stranger, stranger.label)
    assert stranger.sightings == 1 and stranger.embeddings


def test_it_pushes_an_overlay_per_frame_and_the_visit_as_it_opens_and_ends(aaron, door, media_root):
    group = f"camera-{door.pk}"

    def work():
        end = _show(door, "lfw_person_a_2.jpg", 4, 1_000_000.0)
        _show(door, None, 20, end)

    events, _ = faces_data.events_during([group], work)
    kinds = [e["type"] for e in events[group]]
    assert kinds.count("camera.overlay") == 24
    visits = [e for e in events[group] if e["type"] == "visit.update"]
    assert [v["event"] for v in visits] == ["opened", "ended"]
    assert visits[0]["visit"]["label"] == "Aaron Peirsol" and visits[1]["visit"]["frame_count"] == 4
    named = [e for e in events[group] if e["type"] == "camera.overlay" and e["faces"]]
    assert named[-1]["faces"][0]["label"] == "Aaron Peirsol" and named[-1]["faces"][0]["state"] == "named"


def test_it_shows_a_face_too_small_to_name_and_stores_no_visit_for_it(aaron, door, media_root):
    group = f"camera-{door.pk}"

    def work():
        for index in range(6):  # Aaron's photo 50 px tall: a face of ~20 px
            jpeg = live_data.scene_jpeg("lfw_person_a_2.jpg", x=150 + 2 * index, side=50)
            assert live.live_frame_process(camera_id=door.pk, captured_at=1_000_000.0 + index * FRAME_SECONDS,
                                           jpeg=jpeg)
        _show(door, None, 20, 1_000_002.0)

    events, _ = faces_data.events_during([group], work)
    shown = [face for e in events[group] if e["type"] == "camera.overlay" for face in e["faces"]]
    assert len(shown) == 6 and {(f["state"], f["label"]) for f in shown} == {("too_small", "too small to name")}
    assert not MatchLog.objects.exists() and not ProvisionalIdentity.objects.exists()


def test_it_ends_the_tracks_when_the_reader_starts_again(aaron, door, media_root):
    group = f"camera-{door.pk}"

    def work():
        for index in range(8):  # the stream reconnected before frame 4: its reader session changed
            jpeg = live_data.scene_jpeg("lfw_person_a_2.jpg", x=150 + 2 * index)
            assert live.live_frame_process(camera_id=door.pk, captured_at=1_000_000.0 + index * FRAME_SECONDS,
                                           jpeg=jpeg, session=1 if index < 4 else 2)

    events, _ = faces_data.events_during([group], work)
    tracks = [e["faces"][0]["track_id"] for e in events[group] if e["type"] == "camera.overlay"]
    assert len(set(tracks[:4])) == len(set(tracks[4:])) == 1 and tracks[0] != tracks[4]
    ended = [e["visit"]["track_id"] for e in events[group] if e["type"] == "visit.update" and e["event"] == "ended"]
    assert ended == [tracks[0]]


@pytest.fixture
def one_shard(settings, door):
    """Every camera in shard 0, which no earlier test's lease still holds."""
    settings.FACEAPP_LIVE_SHARDS = 1
    live_data.live_keys_clear(door)
    redis_client().delete("faceapp:live:s:0:lease", "faceapp:live:s:0:starting")


def _turn(shard: int) -> None:
    """Another live-worker process takes the shard's lease, and gives it back."""
    lease = frames.lease_take(shard=shard)
    frames.lease_release(shard=shard, token=lease.token)


def test_it_drops_the_tracks_of_a_shard_that_another_process_served_meanwhile(aaron, door, media_root, one_shard):
    live.live_shard_run(shard=0, seconds=0)  # this process's turn
    _show(door, "lfw_person_a_2.jpg", 6, time.time() - 2)
    (visit,) = MatchLog.objects.all()
    _turn(0)  # another process served the camera (and owns the visit's track now)

    live.live_shard_run(shard=0, seconds=0)

    assert door.pk not in live._cameras
    assert MatchLog.objects.get().frame_count == visit.frame_count  # our stale track did not close it


def test_it_keeps_its_tracks_when_nobody_served_the_shard_between_its_turns(aaron, door, media_root, one_shard):
    live.live_shard_run(shard=0, seconds=0)
    _show(door, "lfw_person_a_2.jpg", 6, time.time() - 2)

    live.live_shard_run(shard=0, seconds=0)

    assert live._cameras[door.pk].pipeline.tracker.tracks


def test_it_pushes_a_webcams_status_as_it_processes_frames(aaron, media_root):
    desk = Camera.objects.create(name="Desk")  # a browser's: no reader pushes its status (a stream's: test_services_live_status)
    events, _ = faces_data.events_during(["dashboard"], lambda: _show(desk, None, 2, time.time()))

    statuses = [e["camera"] for e in events["dashboard"] if e["type"] == "camera.status"]
    assert statuses and statuses[0]["id"] == desk.pk and statuses[0]["fps_processed"] is not None
    assert statuses[0]["last_processed_at"]
