"""Server-side camera streams end to end: a real RTSP server (GStreamer), a real MJPEG server
and a video file, read by the camera readers, frames through Redis to a real live worker.
The enrolled person is named on one visit, the stranger gets one provisional ID; a dead RTSP
server makes the camera reconnect, and it comes back online with the server."""

import threading

import pytest

from identity.models import Camera, MatchLog, ProvisionalIdentity
from identity.services import frames
from identity.services.readers import ReaderSupervisor
from tests import live_data, streams
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

FPS = 10
RTSP_LOOPS = 10  # the RTSP server plays its file once: a minute of the loop, longer than the test


def _scenario() -> list:
    """A passer-by loop: the enrolled person, nobody, a stranger, nobody (1.5 s each at 10 fps)."""
    segments = [("lfw_person_a_2.jpg", 15), (None, 15), ("lfw_person_b_1.jpg", 15), (None, 15)]
    return [live_data.scene(name, x=120 + 4 * i) for name, count in segments for i in range(count)]


@pytest.fixture
def readers():
    stop = threading.Event()
    supervisor = ReaderSupervisor()
    thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
    thread.start()
    yield supervisor
    stop.set()
    thread.join(30)


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
