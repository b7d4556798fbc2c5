"""Real camera streams on 127.0.0.1 for the camera tests (helpers, not tests): H.264 videos of
frames, an HTTP MJPEG server with a snapshot URL (a thread), and GStreamer's RTSP server
(tests/rtsp_server.py, run by Debian's python3). A server stops and starts again on the same
port, so that a test can take a camera away and bring it back; both stop on context exit."""

from __future__ import annotations

import base64
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np

from tests import faces_data

DEBIAN_PYTHON = "/usr/bin/python3"
RTSP_SCRIPT = Path(__file__).with_name("rtsp_server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, *, seconds: float = 20.0, process: subprocess.Popen | None = None) -> None:
    """Returns once 127.0.0.1:`port` accepts; RuntimeError when `process` exits first or after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on port {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def write_video(path: Path | str, frames: list[np.ndarray], *, fps: int = 10) -> Path:
    """An H.264 MP4 of BGR `frames`, a keyframe every second (where an RTSP client joins)."""
    path = Path(path)
    # bf=0: no B-frames, so that RTP carries the frames in display order.
    options = {"preset": "ultrafast", "g": str(fps), "bf": "0"}
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options=options)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        container.mux(stream.encode())
    return path


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
    """rtsp://127.0.0.1:PORT/cam: an H.264 MP4 played once in real time, from the start for each client."""

    def __init__(self, video: Path | str):
        self.video, self.port = Path(video), free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.process: subprocess.Popen | None = None

    def start(self) -> RtspServer:
        # stderr to a file, not a pipe: an unread pipe could fill up and stall the server.
        with tempfile.TemporaryFile() as log:
            self.process = subprocess.Popen([DEBIAN_PYTHON, str(RTSP_SCRIPT), str(self.port), str(self.video)],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
            try:
                wait_port(self.port, process=self.process)
            except BaseException as exc:
                self.stop()
                log.seek(0)
                exc.add_note(f"the RTSP server's stderr: {log.read()[-500:]!r}")
                raise
        return self

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.wait(10)

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class MjpegServer:
    """/stream.mjpg (or `stream_target`): the frames as multipart JPEGs at `fps`, looping, from the
    first for each client; /snapshot.jpg: the current frame; /: a camera's web page (what a wrong
    snapshot URL gives). With `basic_auth` ("user:password"), the stream asks for it (401) first."""

    def __init__(self, frames: list[np.ndarray], *, fps: float = 10, stream_target: str = "/stream.mjpg",
                 basic_auth: str | None = None):
        self.jpegs, self.fps, self.port = [faces_data.jpeg(f, quality=85) for f in frames], fps, free_port()
        self.stream_target, self.basic_auth = stream_target, basic_auth
        base = f"http://127.0.0.1:{self.port}"
        self.stream_url, self.snapshot_url, self.page_url = f"{base}{stream_target}", f"{base}/snapshot.jpg", f"{base}/"
        self.httpd: _Httpd | None = None
        self.started = time.monotonic()

    def current(self) -> bytes:
        return self.jpegs[int((time.monotonic() - self.started) * self.fps) % len(self.jpegs)]

    def start(self) -> MjpegServer:
        self.httpd = _Httpd(self)
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stops listening and ends the open streams (their handlers see that their server is gone)."""
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Httpd(ThreadingHTTPServer):
    allow_reuse_address = True  # start() again on the same port while old connections linger
    daemon_threads = True

    def __init__(self, camera: MjpegServer):
        super().__init__(("127.0.0.1", camera.port), _Handler)
        self.camera = camera


class _Handler(BaseHTTPRequestHandler):
    server: _Httpd

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        camera = self.server.camera
        if self.path == "/snapshot.jpg":
            self._send(camera.current(), "image/jpeg")
        elif self.path == camera.stream_target and camera.basic_auth and not self._authorized(camera.basic_auth):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="camera"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == camera.stream_target:
            self._stream()
        elif self.path == "/":
            self._send(b"<html><body>camera login</body></html>", "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _authorized(self, basic_auth: str) -> bool:
        return self.headers.get("Authorization", "") == "Basic " + base64.b64encode(basic_auth.encode()).decode()

    def _send(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self) -> None:
        camera, started, index = self.server.camera, time.monotonic(), 0
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        try:
            while camera.httpd is self.server:  # not after stop(), nor after a start() again
                data = camera.jpegs[index % len(camera.jpegs)]
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                 + f"Content-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                index += 1
                time.sleep(max(0.0, started + index / camera.fps - time.monotonic()))
        except OSError:  # the client went away
            pass
        self.close_connection = True
