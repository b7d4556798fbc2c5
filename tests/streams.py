"""Real camera streams on 127.0.0.1 for the tests (helpers, not tests): H.264 videos made
from photos, an HTTP MJPEG server with a snapshot URL (a thread), and GStreamer's RTSP server
(a subprocess of Debian's python3). Servers stop and start again on the same port, so that a
test can take a camera away and bring it back; everything stops on context exit."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import cv2
import numpy as np

DEBIAN_PYTHON = "/usr/bin/python3"
GREY = 128

# Run by Debian's python3; imports nothing from the project. argv: PORT FILE.
RTSP_SCRIPT = r'''
import sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer

port, path = sys.argv[1], sys.argv[2]
Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
# Not shared: each client gets its own pipeline, from the start of the file.
factory.set_launch(f'( filesrc location="{path}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )')
factory.set_shared(False)
server.get_mount_points().add_factory("/cam", factory)
if server.attach(None) == 0:
    sys.exit("cannot listen on port " + port)
print("ready", flush=True)
GLib.MainLoop().run()
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scene(photo: Path | str | None, size: tuple[int, int] = (640, 480), height: int = 300) -> np.ndarray:
    """A grey BGR frame of `size` (w, h) with `photo` centred, `height` px tall (None: nobody)."""
    width, frame_height = size
    canvas = np.full((frame_height, width, 3), GREY, np.uint8)
    if photo is not None:
        image = cv2.imread(str(photo), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(photo)
        side_h = min(height, frame_height)
        side_w = min(width, round(image.shape[1] * side_h / image.shape[0]))
        top, left = (frame_height - side_h) // 2, (width - side_w) // 2
        canvas[top : top + side_h, left : left + side_w] = cv2.resize(image, (side_w, side_h))
    return canvas


def video_codec() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def make_video(path: Path | str, segments: list[tuple[Path | str | None, float]], *, fps: int = 10,
               size: tuple[int, int] = (640, 480)) -> Path:
    """An MP4 of `segments` [(photo or None, seconds)], a keyframe every second (RTSP clients join there)."""
    path = Path(path)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(video_codec(), rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.gop_size = fps
        if stream.codec_context.name == "libx264":
            stream.options = {"preset": "ultrafast", "g": str(fps), "keyint_min": str(fps), "bf": "0"}
        for photo, seconds in segments:
            frame = av.VideoFrame.from_ndarray(scene(photo, size), format="bgr24")
            for _ in range(max(1, round(seconds * fps))):
                container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def video_frames(path: Path | str) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def wait_port(port: int, seconds: float = 15.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}): {process.stderr.read()[-500:]!r}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def rtsp_available() -> str | None:
    """None when Debian's python3 has GStreamer's RTSP server, else why not (for pytest.skip)."""
    check = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    try:
        result = subprocess.run([DEBIAN_PYTHON, "-c", check], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{DEBIAN_PYTHON} cannot run: {exc}"
    if result.returncode:
        return ("GStreamer's RTSP server is missing (apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi "
                f"gstreamer1.0-plugins-good gstreamer1.0-plugins-bad): {result.stderr.strip()[-200:]}")
    return None


class RtspServer:
    """rtsp://127.0.0.1:PORT/cam serving an H.264 MP4; each client plays it from the start."""

    def __init__(self, video_path: Path | str, *, port: int | None = None):
        self.video_path, self.port = Path(video_path), port or free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.process: subprocess.Popen | None = None

    def start(self) -> RtspServer:
        self.process = subprocess.Popen([DEBIAN_PYTHON, "-c", RTSP_SCRIPT, str(self.port), str(self.video_path)],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
        try:
            wait_port(self.port, process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.kill()
            process.wait(10)
            process.stderr.close()

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # start() again on the same port while old sockets linger
    daemon_threads = True


class MjpegServer:
    """/stream.mjpg: multipart JPEG frames at `fps`; /snapshot.jpg: the current frame; /: an HTML page."""

    def __init__(self, source: Path | str | list[np.ndarray], *, fps: float = 10, loop: bool = True):
        frames = source if isinstance(source, list) else video_frames(source)
        self.jpegs = [cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes() for frame in frames]
        self.fps, self.loop, self.port = fps, loop, free_port()
        self.stream_url = f"http://127.0.0.1:{self.port}/stream.mjpg"
        self.snapshot_url = f"http://127.0.0.1:{self.port}/snapshot.jpg"
        self.page_url = f"http://127.0.0.1:{self.port}/"
        self.httpd: _Server | None = None
        self.thread: threading.Thread | None = None
        self.started = time.monotonic()

    def frame_at(self, index: int) -> bytes | None:
        if index >= len(self.jpegs) and not self.loop:
            return None
        return self.jpegs[index % len(self.jpegs)]

    def current(self) -> bytes:
        index = int((time.monotonic() - self.started) * self.fps)
        return self.frame_at(index) or self.jpegs[-1]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/snapshot.jpg":
                    self._send(server.current(), "image/jpeg")
                elif self.path == "/stream.mjpg":
                    self._stream()
                elif self.path == "/":  # a camera's web page, as a wrong snapshot URL gives
                    self._send(b"<html><body>camera login</body></html>", "text/html; charset=utf-8")
                else:
                    self.send_error(404)

            def _send(self, data: bytes, content_type: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                index, started = 0, time.monotonic()
                try:
                    while server.httpd is not None and (data := server.frame_at(index)) is not None:
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         + f"Content-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
                        self.wfile.flush()
                        index += 1
                        time.sleep(max(0.0, started + index / server.fps - time.monotonic()))
                except OSError:  # the client went away
                    pass
                self.close_connection = True

        return Handler

    def start(self) -> MjpegServer:
        self.httpd = _Server(("127.0.0.1", self.port), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stops listening and ends the open streams (their handlers see httpd gone)."""
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            self.thread.join(5)

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
