"""Camera sources against real streams on 127.0.0.1 (tests/streams.py): video files, an
HTTP MJPEG server with a snapshot URL, and GStreamer's RTSP server. No mocks."""

import threading
import time

import numpy as np
import pytest

from identity.live.sources import CameraReader, SourceConfig, SourceError, grab_frame, open_frames
from tests import live_data, streams

PERSON_A, PERSON_B = "lfw_person_a_1.jpg", "lfw_person_b_1.jpg"
SHAPE = (480, 640, 3)
FPS = 10


def clip(segments: list[tuple[str | None, float]]) -> list[np.ndarray]:
    """Frames at FPS of `segments` [(fixture photo or None: nobody, seconds)]."""
    frames = []
    for name, seconds in segments:
        frames += [live_data.scene(name)] * round(seconds * FPS)  # one array per segment, shared
    return frames


@pytest.fixture(scope="module")
def short_clip() -> list[np.ndarray]:
    """2 s: person A, then nobody, then person B."""
    return clip([(PERSON_A, 0.8), (None, 0.4), (PERSON_B, 0.8)])


@pytest.fixture(scope="module")
def short_video(short_clip, tmp_path_factory):
    return streams.write_video(tmp_path_factory.mktemp("videos") / "short.mp4", short_clip, fps=FPS)


@pytest.fixture(scope="module")
def long_video(tmp_path_factory):
    """30 s: each RTSP client plays it from the start, long enough for a reconnect test."""
    frames = clip([(PERSON_A, 10), (None, 5), (PERSON_B, 15)])
    return streams.write_video(tmp_path_factory.mktemp("videos") / "long.mp4", frames, fps=FPS)


@pytest.fixture
def rtsp_server(long_video):
    reason = streams.rtsp_available()
    if reason:
        pytest.skip(reason)
    with streams.RtspServer(long_video) as server:
        yield server


def take(config: SourceConfig, count: int) -> list:
    frames = []
    for frame in open_frames(config):
        frames.append(frame)
        if len(frames) == count:
            break
    return frames


def wait_for(condition, seconds: float = 20.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.05)


class Recorder:
    """A CameraReader's callbacks: frames counted, every status kept."""

    def __init__(self):
        self.frames, self.states, self.sessions, self.lock = 0, [], [], threading.Lock()

    def on_frame(self, frame) -> None:
        assert frame.image.shape == SHAPE
        with self.lock:
            self.frames += 1
            self.sessions.append(frame.session)

    def on_status(self, status) -> None:
        with self.lock:
            self.states.append(status)

    def saw(self, state: str, after: int = 0) -> bool:
        with self.lock:
            return any(status.state == state for status in self.states[after:])


def reader_survives_an_outage(server, config: SourceConfig) -> None:
    """Online, server gone -> reconnecting, server back -> online again with frames."""
    recorder = Recorder()
    reader = CameraReader(config, on_frame=recorder.on_frame, on_status=recorder.on_status,
                          backoff_initial=0.2, backoff_max=1.0)
    reader.start()
    try:
        wait_for(lambda: recorder.saw("online"), what="the reader going online")
        before = recorder.sessions[-1]
        server.stop()
        wait_for(lambda: reader.status.state == "reconnecting", what="the reader noticing the outage")
        assert reader.status.error and reader.status.reconnects >= 1
        mark = len(recorder.states)
        server.start()
        wait_for(lambda: recorder.saw("online", after=mark), what="the reader coming back online")
        frames = recorder.frames
        wait_for(lambda: recorder.frames >= frames + 3, what="frames flowing again")
        assert reader.status.state == "online" and reader.status.error == ""
        assert recorder.sessions[-1] > before  # a picture cut for whoever follows faces in it
    finally:
        reader.stop()
        reader.join(15)
    assert not reader.is_alive() and reader.status.state == "stopped"


def test_it_samples_a_file_source_to_the_configured_fps(short_video):
    frames = list(open_frames(SourceConfig(kind="file", url=str(short_video), fps=5, loop=False)))

    assert 6 <= len(frames) <= 14  # 2 s of 10 fps video sampled to 5 fps: about 10
    assert all(frame.image.shape == SHAPE and frame.image.dtype == np.uint8 for frame in frames)


def test_it_numbers_each_play_of_a_looping_file_as_a_new_session(short_video):
    recorder = Recorder()
    reader = CameraReader(SourceConfig(kind="file", url=str(short_video), fps=5), on_frame=recorder.on_frame)
    reader.start()
    try:
        wait_for(lambda: 2 in recorder.sessions, what="the file playing again")
    finally:
        reader.stop()
        reader.join(15)
    played = recorder.sessions[: recorder.sessions.index(2)]
    assert set(played) == {1} and len(played) >= 5  # the first play, frame after frame, then the second


def test_it_names_a_missing_file(tmp_path):
    missing = tmp_path / "gone.mp4"

    with pytest.raises(SourceError) as error:
        list(open_frames(SourceConfig(kind="file", url=str(missing))))
    assert (error.value.reason, str(error.value)) == ("no-file", "the video file is not there")


def test_it_reads_an_mjpeg_stream(short_clip):
    with streams.MjpegServer(short_clip) as server:
        frames = take(SourceConfig(kind="mjpeg", url=server.stream_url, fps=10, timeout=5), 5)

    assert len(frames) == 5 and all(frame.image.shape == SHAPE for frame in frames)


def test_it_polls_a_snapshot_url(short_clip):
    with streams.MjpegServer(short_clip) as server:
        frames = take(SourceConfig(kind="snapshot", url=server.snapshot_url, poll_seconds=0.1, timeout=5), 3)

    assert len(frames) == 3 and all(frame.image.shape == SHAPE for frame in frames)


def test_it_says_when_a_snapshot_url_returns_a_web_page(short_clip):
    with streams.MjpegServer(short_clip) as server, pytest.raises(SourceError, match=r"^the camera sent something that is not a picture: check that the URL gives a snapshot \(JPEG\)$"):
        take(SourceConfig(kind="snapshot", url=server.page_url, timeout=5), 1)


def test_it_reads_an_rtsp_stream(rtsp_server):
    frames = take(SourceConfig(kind="rtsp", url=rtsp_server.url, fps=5, timeout=10), 3)

    assert len(frames) == 3 and all(frame.image.shape == SHAPE for frame in frames)


def test_it_reconnects_to_an_mjpeg_camera_that_comes_back(short_clip):
    with streams.MjpegServer(short_clip) as server:
        reader_survives_an_outage(server, SourceConfig(kind="mjpeg", url=server.stream_url, fps=10, timeout=3))


def test_it_reconnects_to_an_rtsp_camera_that_comes_back(rtsp_server):
    reader_survives_an_outage(rtsp_server, SourceConfig(kind="rtsp", url=rtsp_server.url, fps=5, timeout=5))


def test_it_keeps_reading_when_the_frame_handler_raises(short_clip):
    calls = []

    def on_frame(frame):
        calls.append(frame)
        raise RuntimeError("handler bug")

    with streams.MjpegServer(short_clip) as server:
        reader = CameraReader(SourceConfig(kind="mjpeg", url=server.stream_url, fps=10, timeout=3), on_frame=on_frame)
        reader.start()
        try:
            wait_for(lambda: len(calls) >= 3, what="three frames despite the failing handler")
            assert reader.is_alive() and reader.status.state == "online"
        finally:
            reader.stop()
            reader.join(15)


def test_it_keeps_the_password_out_of_a_connection_error():
    url = f"rtsp://admin:hunter2@127.0.0.1:{streams.free_port()}/cam"

    with pytest.raises(SourceError) as error:
        grab_frame(SourceConfig(kind="rtsp", url=url, timeout=3))
    assert (error.value.reason, str(error.value)) == ("refused", "nothing answers at that address and port: check the address and the port, and that the camera is switched on")


def test_it_grabs_one_frame(short_clip):
    with streams.MjpegServer(short_clip) as server:
        image = grab_frame(SourceConfig(kind="mjpeg", url=server.stream_url, timeout=5))

    assert isinstance(image, np.ndarray) and image.shape == SHAPE and image.dtype == np.uint8
