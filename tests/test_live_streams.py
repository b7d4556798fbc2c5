"""Server-side camera streams end to end: a real RTSP server (GStreamer), a real MJPEG server
and a video file, read by the camera readers, frames through Redis to a real live worker.
The enrolled person is named on one visit, the stranger gets one provisional ID; a dead RTSP
server makes the camera reconnect, and it comes back online with the server. A man who takes
the enrolled man's place gets a track of his own and never his name."""

import asyncio

import pytest

from identity.models import Camera, MatchLog, ProvisionalIdentity
from identity.services import frames
from identity.services.realtime import camera_group
from tests import live_data, streams
from tests.event_loops import run_scenario
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FPS = 10
RTSP_LOOPS = 10  # the RTSP server plays its file once: a minute of the loop, longer than the test


def _scenario() -> list:
    """A passer-by loop: the enrolled person, nobody, a stranger, nobody (1.5 s each at 10 fps)."""
    segments = [("lfw_person_a_2.jpg", 15), (None, 15), ("lfw_person_b_1.jpg", 15), (None, 15)]
    return [live_data.scene(name, x=120 + 4 * i) for name, count in segments for i in range(count)]


def _camera(kind: str, url: str) -> Camera:
    camera = Camera.objects.create(name=f"Gate {kind}", kind=kind, source_address=url, fps=5)
    live_data.live_keys_clear(camera)
    return camera


def _state(camera: Camera) -> str:
    return (frames.reader_status(camera_id=camera.pk) or {}).get("state", "")


def _assert_named_once_and_one_stranger(camera: Camera, person) -> None:
    wait_until(lambda: MatchLog.objects.filter(snapshot__camera=camera, person=person).exists(), "the person's visit")
    wait_until(lambda: MatchLog.objects.filter(snapshot__camera=camera, decision="unknown").exists(), "the stranger")
    assert MatchLog.objects.filter(snapshot__camera=camera, person=person).count() == 1
    strangers = set(MatchLog.objects.filter(snapshot__camera=camera, decision="unknown").values_list("provisional", flat=True))
    assert len(strangers) == 1 and ProvisionalIdentity.objects.count() == 1


@pytest.fixture
def settle(settings):
    settings.FACEAPP_TRACK_TIMEOUT_SECONDS = 1.0


def test_it_reads_an_rtsp_camera_and_reconnects(
    worker_enrolled_aaron, live_worker, readers, media_root, settle, tmp_path
):
    missing = streams.rtsp_available()
    if missing:
        pytest.skip(missing)
    video = streams.write_video(tmp_path / "gate.mp4", _scenario() * RTSP_LOOPS, fps=FPS)
    with streams.RtspServer(video) as server:
        camera = _camera(Camera.RTSP, server.url)
        wait_until(lambda: _state(camera) == "online", "the RTSP camera to be online")
        _assert_named_once_and_one_stranger(camera, worker_enrolled_aaron)

        server.stop()
        wait_until(lambda: _state(camera) == "reconnecting", "the camera to notice the server is gone")
        server.start()
        wait_until(lambda: _state(camera) == "online", "the camera to be back online")


def test_it_reads_an_mjpeg_camera_and_reconnects(worker_enrolled_aaron, live_worker, readers, media_root, settle):
    with streams.MjpegServer(_scenario(), fps=FPS) as server:
        camera = _camera(Camera.MJPEG, server.stream_url)
        _assert_named_once_and_one_stranger(camera, worker_enrolled_aaron)
        server.stop()
        wait_until(lambda: _state(camera) == "reconnecting", "the camera to notice the server is gone")
        server.start()
        wait_until(lambda: _state(camera) == "online", "the camera to be back online")


def test_it_plays_a_video_file_camera(worker_enrolled_aaron, live_worker, readers, media_root, settle, tmp_path):
    video = streams.write_video(tmp_path / "door.mp4", _scenario(), fps=FPS)
    camera = _camera(Camera.FILE, str(video))
    _assert_named_once_and_one_stranger(camera, worker_enrolled_aaron)


def _overlay_faces_until(camera: Camera, enough, *, deadline: float = 120.0) -> list[dict]:
    """The faces of the camera's overlays, received as they come until `enough(faces)` (or the deadline)."""
    from channels.layers import get_channel_layer

    async def listen() -> list[dict]:
        layer, faces = get_channel_layer(), []
        channel = await layer.new_channel()
        await layer.group_add(camera_group(camera.pk), channel)
        give_up = asyncio.get_running_loop().time() + deadline
        while not enough(faces) and asyncio.get_running_loop().time() < give_up:
            try:
                event = await asyncio.wait_for(layer.receive(channel), 1)
            except asyncio.TimeoutError:
                continue
            if event["type"] == "camera.overlay":
                faces += event["faces"]
        await layer.group_discard(camera_group(camera.pk), channel)
        return faces

    return run_scenario(listen)


def _tracks_of(faces: list[dict], *, second: bool) -> set[int]:
    return {f["track_id"] for f in faces if live_data.is_second(f["box"]) == second}


def test_it_gives_the_man_who_takes_anothers_place_his_own_track(worker_enrolled_aaron, live_worker, readers,
                                                                 media_root, tmp_path):
    """A video file camera at 5 fps: Aaron Peirsol, then at his place George W. Bush, first at a hard
    cut, then 0.6 s after Aaron walked out (the track timeout is 3 s); Bush's first frames blurred."""
    empty = [live_data.scene(None)] * 20  # 4 s: every track ends between the two scenes
    swap = lambda gap: live_data.swap_frames("lfw_person_a_2.jpg", "lfw_person_b_1.jpg", each=10, gap=gap,  # noqa: E731
                                             blurred=3)
    video = streams.write_video(tmp_path / "door.mp4", [live_data.scene(None)] * 5 + swap(0) + empty + swap(3) + empty,
                                fps=5)
    camera = _camera(Camera.FILE, str(video))

    def enough(faces: list[dict]) -> bool:  # both scenes seen, Aaron named
        named = any(f["state"] == "named" for f in faces)
        return named and len(_tracks_of(faces, second=False)) >= 2 and len(_tracks_of(faces, second=True)) >= 2

    faces = _overlay_faces_until(camera, enough)

    assert enough(faces)
    bush = [f for f in faces if live_data.is_second(f["box"])]
    assert all(f["state"] != "named" and f["label"] != worker_enrolled_aaron.name for f in bush)
    assert not _tracks_of(faces, second=False) & _tracks_of(faces, second=True)  # no track holds both men
    aaron = [f for f in faces if not live_data.is_second(f["box"])]
    assert {f["named_by"] for f in aaron if f["state"] == "named"} <= {"face", "track"}
    assert all(f["named_by"] is None for f in bush)
