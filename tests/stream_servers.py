"""Real stream servers on 127.0.0.1 for the camera tests: an HTTP MJPEG server (with a
snapshot URL) in a thread, and GStreamer's RTSP server in a subprocess; both can be stopped
and started again on the same port. Videos are made from photos with PyAV."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import numpy as np

from identity.vision import encode_jpeg

DEBIAN_PYTHON = "/usr/bin/python3"
RTSP_SCRIPT = Path(__file__).with_name("rtsp_server.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_video(path: Path, frames: list[np.ndarray], *, fps: int = 10) -> Path:
    """H.264 MP4 of BGR frames, a keyframe every second so that a client can join."""
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=fps, options={"g": str(fps)})
    stream.height, stream.width = frames[0].shape[:2]
    stream.pix_fmt = "yuv420p"
    for image in frames:
        for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()
    return path


def rtsp_available() -> str | None:
    """None when Debian's GStreamer RTSP server can run here, else why not."""
    if not shutil.which(DEBIAN_PYTHON):
        return f"{DEBIAN_PYTHON} is missing"
    check = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    result = subprocess.run([DEBIAN_PYTHON, "-c", check], capture_output=True, text=True, timeout=30)
    if result.returncode:
        return "GStreamer's RTSP server is missing (apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi)"
    return None


def _wait_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


class RtspServer:
    """rtsp://127.0.0.1:PORT/cam: the frames as H.264 at `fps`, looping (frames kept as JPEGs in `folder`)."""

    def __init__(self, frames: list[np.ndarray], folder: Path, *, fps: int = 10):
        folder.mkdir(parents=True, exist_ok=True)
        for index, image in enumerate(frames):
            (folder / f"{index:04d}.jpg").write_bytes(encode_jpeg(image, quality=90))
        self.folder, self.fps, self.port = folder, fps, free_port()
        self.url = f"rtsp://127.0.0.1:{self.port}/cam"
        self.process: subprocess.Popen | None = None

    def start(self) -> RtspServer:
        command = [DEBIAN_PYTHON, str(RTSP_SCRIPT), str(self.port), str(self.folder), str(self.fps)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def __enter__(self) -> RtspServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class MjpegServer:
    """/stream.mjpg: multipart JPEG frames at `fps`, looping; /snapshot.jpg: the current frame."""

    def __init__(self, frames: list[np.ndarray], *, fps: float = 10.0):
        self.jpegs, self.fps, self.port = [encode_jpeg(f, quality=85) for f in frames], fps, free_port()
        self.stream_url = f"http://127.0.0.1:{self.port}/stream.mjpg"
        self.snapshot_url = f"http://127.0.0.1:{self.port}/snapshot.jpg"
        self.httpd: ThreadingHTTPServer | None = None
        self.started = time.monotonic()

    def current(self) -> bytes:
        return self.jpegs[int((time.monotonic() - self.started) * self.fps) % len(self.jpegs)]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/snapshot.jpg":
                    data = server.current()
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    while server.httpd is not None:
                        data = server.current()
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         + f"Content-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
                        time.sleep(1 / server.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    def start(self) -> MjpegServer:
        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
