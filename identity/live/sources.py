"""Camera sources read by the server: RTSP, HTTP MJPEG, an HTTP snapshot URL polled every
few seconds, and a video file played at its own rate. Plain Python, no Django.

PyAV rather than OpenCV's FFmpeg backend: it has open and read timeouts, reads that can be
stopped, and FFmpeg's own error messages. Frames are sampled to the configured fps. A
CameraReader thread keeps one source going: reconnects with backoff and reports its state.
A source's URL passes identity.live.source_url's gate at every open, its host is checked against
the camera networks, and FFmpeg may use only its kind's protocols. Errors, logs and statuses
name the source by its address alone: credentials are joined in only to open it.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

import cv2
import numpy as np

from identity.live.addresses import AddressError, Network, networks_check
from identity.live.source_url import SourceSecret, SourceUrlError, address_shown, source_join, source_split

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("rtsp", "mjpeg", "snapshot", "file")
# FFmpeg's protocols for each kind: neither a redirect nor a playlist takes a source to another one.
AV_PROTOCOLS = {"rtsp": "rtsp,rtsps,tcp,tls", "mjpeg": "http,https,tcp,tls", "file": "file"}
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024
FPS_WINDOW = 5.0  # seconds over which ReaderStatus.fps_in is counted


class SourceError(Exception):
    """Why a source gives no frames, safe to show: credentials never appear in it."""


@dataclass(frozen=True)
class SourceConfig:
    kind: str  # one of SOURCE_KINDS
    url: str  # rtsp:// or http(s):// URL (its address: credentials in `secret`), or a file path for "file"
    fps: float = 5.0  # frames a second delivered
    poll_seconds: float = 2.0  # snapshot sources: one request every this many seconds
    timeout: float = 10.0  # open and read timeout, seconds
    loop: bool = True  # file sources start again at the end
    # Joined to `url` only to open it; None: stored credentials that can no longer be read.
    secret: SourceSecret | None = field(default=SourceSecret(), repr=False)
    networks: tuple[Network, ...] = ()  # the networks a source may be in (FACEAPP_CAMERA_NETWORKS); () = any


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR uint8 (H, W, 3)
    captured_at: float  # time.time() when read


def source_shown(config: SourceConfig) -> str:
    """The source as the app shows it: its address (or file path), never its credentials."""
    return address_shown(config.url, kind=config.kind)


def _error(config: SourceConfig, what: str) -> SourceError:
    return SourceError(f"{config.kind} {source_shown(config)}: {what}")


def _reason(exc: BaseException) -> str:
    """What failed, without the exception's text: FFmpeg's and Python's quote the URL, credentials and all."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, OSError):
        exc = exc.reason
    return getattr(exc, "strerror", None) or type(exc).__name__


def _open_url(config: SourceConfig) -> str:
    """The URL to open: the address through the gate, credentials joined, the host in the camera networks."""
    if config.kind == "file":
        return config.url
    if config.secret is None:
        raise _error(config, "its stored credentials cannot be read (SECRET_KEY changed?): enter its URL again")
    try:
        address, inline = source_split(config.url, kind=config.kind)
        url = source_join(address, config.secret or inline)
        source_split(url, kind=config.kind)  # the stored credentials pass the same gate
        networks_check(address.host, address.port or 0, config.networks)
    except (SourceUrlError, AddressError) as exc:
        raise _error(config, f"refused: {exc}") from None
    return url


def _open_av(config: SourceConfig):
    import av  # PyAV loads FFmpeg: only processes that read streams pay for it

    options = {"protocol_whitelist": AV_PROTOCOLS[config.kind]}
    if config.kind == "rtsp":
        options["rtsp_transport"] = "tcp"
    if config.kind == "mjpeg":
        options["max_redirects"] = "0"  # a redirect could lead out of the camera networks
    url = _open_url(config)
    started = time.monotonic()
    try:
        container = av.open(url, format={"rtsp": "rtsp", "mjpeg": "mpjpeg"}.get(config.kind), options=options,
                            timeout=(config.timeout, config.timeout))
    except (av.FFmpegError, OSError, ValueError) as exc:
        # FFmpeg reports its own timeout as "invalid data" or "exit requested": say what happened.
        timed_out = time.monotonic() - started >= config.timeout * 0.9
        what = f"no answer within {config.timeout:g} s" if timed_out else f"cannot open ({_reason(exc)})"
        raise _error(config, what) from None
    if not container.streams.video:
        container.close()
        raise _error(config, "has no video stream")
    return container


def _av_frames(config: SourceConfig, stop: threading.Event) -> Iterator[Frame]:
    import av  # PyAV loads FFmpeg: only processes that read streams pay for it

    if config.kind == "file" and not Path(config.url).is_file():
        raise SourceError(f"file not found: {config.url}")
    container = _open_av(config)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        period = 1.0 / max(config.fps, 0.01)
        started, next_at, file_start = time.monotonic(), 0.0, None
        while not stop.is_set():
            try:
                for frame in container.decode(stream):
                    if stop.is_set():
                        return
                    if config.kind == "file":
                        # Played at its own rate: wait until the frame's time has come.
                        clock = float(frame.time or 0.0)
                        if file_start is None:
                            file_start = time.monotonic() - clock
                        if stop.wait(max(0.0, file_start + clock - time.monotonic())):
                            return
                    else:
                        clock = time.monotonic() - started
                    if clock + 1e-6 < next_at:
                        continue  # sampling: this frame comes before the next one is due
                    next_at = max(next_at + period, clock)
                    yield Frame(frame.to_ndarray(format="bgr24"), time.time())
            except av.ExitError:  # the read timeout's interrupt
                raise _error(config, f"no frame within {config.timeout:g} s") from None
            except (av.FFmpegError, OSError, ValueError) as exc:
                raise _error(config, f"read failed ({_reason(exc)})") from None
            if config.kind != "file":
                raise _error(config, "the stream ended")
            if not config.loop:
                return
            container.seek(0)
            file_start, next_at = None, 0.0
    finally:
        container.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None  # a 3xx is the answer: urllib would follow it to another host, or to ftp://


def _snapshot_opener(url: str) -> tuple[urllib.request.OpenerDirector, str]:
    """An opener that answers the camera's Basic or Digest challenge, and the URL without userinfo
    (urllib would take "user:password@host" for a host and port)."""
    address, secret = source_split(url, kind="snapshot")
    handlers: list = [_NoRedirect]
    if secret.userinfo:
        user, _, password = secret.userinfo.partition(":")
        url = source_join(address, SourceSecret(target=secret.target))
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, unquote(user), unquote(password))
        handlers += [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
    return urllib.request.build_opener(*handlers), url


def _snapshot(config: SourceConfig) -> np.ndarray:
    opener, url = _snapshot_opener(_open_url(config))
    try:
        with opener.open(url, timeout=config.timeout) as response:
            data = response.read(MAX_SNAPSHOT_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise _error(config, f"request failed ({_reason(exc)})") from None
    image = None
    if 0 < len(data) <= MAX_SNAPSHOT_BYTES:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise _error(config, "did not return an image")
    return image


def _snapshot_frames(config: SourceConfig, stop: threading.Event) -> Iterator[Frame]:
    while not stop.is_set():
        started = time.monotonic()
        yield Frame(_snapshot(config), time.time())
        stop.wait(max(0.0, config.poll_seconds - (time.monotonic() - started)))


def open_frames(config: SourceConfig, stop: threading.Event | None = None) -> Iterator[Frame]:
    """Frames of the source, sampled to config.fps; SourceError when it cannot be read."""
    if config.kind not in SOURCE_KINDS:
        raise SourceError(f"unknown source kind: {config.kind!r} (one of {', '.join(SOURCE_KINDS)})")
    stop = stop or threading.Event()
    return _snapshot_frames(config, stop) if config.kind == "snapshot" else _av_frames(config, stop)


def grab_frame(config: SourceConfig) -> np.ndarray:
    """One frame now (a "test connection" button), or SourceError."""
    if config.kind == "snapshot":
        return _snapshot(config)
    frames = open_frames(replace(config, loop=False))
    try:
        for frame in frames:
            return frame.image
    finally:
        frames.close()  # closes the connection now, not when garbage-collected
    raise _error(config, "gave no frame")


@dataclass
class ReaderStatus:
    state: str  # starting, online, reconnecting, error (will not retry), stopped
    last_frame_at: float | None
    fps_in: float  # frames delivered a second, over the last FPS_WINDOW seconds
    error: str  # the last error, naming the source by its address; "" when none
    reconnects: int


class CameraReader(threading.Thread):
    """Keeps one source going: frames to on_frame; reconnects with doubling backoff."""

    def __init__(self, config: SourceConfig, *, on_frame: Callable[[Frame], None],
                 on_status: Callable[[ReaderStatus], None] | None = None, backoff_initial: float = 1.0,
                 backoff_max: float = 30.0):
        super().__init__(daemon=True, name=f"reader-{config.kind}")
        self.config, self.on_frame, self.on_status = config, on_frame, on_status
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self._stop_event = threading.Event()
        self._times: deque[float] = deque(maxlen=500)
        self._status = ReaderStatus("starting", None, 0.0, "", 0)
        self._reported = 0.0
        self._backoff = backoff_initial
        self.shown = source_shown(config)

    @property
    def status(self) -> ReaderStatus:
        now, times = time.monotonic(), list(self._times)  # a copy: the reader thread appends
        recent = [t for t in times if now - t <= FPS_WINDOW]
        fps = (len(recent) - 1) / max(recent[-1] - recent[0], 1e-3) if len(recent) > 1 else 0.0
        return replace(self._status, fps_in=round(fps, 2))

    def stop(self) -> None:
        self._stop_event.set()

    def _set(self, **changes) -> None:
        changed = changes.get("state", self._status.state) != self._status.state
        self._status = replace(self._status, **changes)
        if changed or time.monotonic() - self._reported >= 1.0:
            self._report()

    def _report(self) -> None:
        self._reported = time.monotonic()
        if self.on_status:
            try:
                self.on_status(self.status)
            except Exception:
                logger.exception("camera status handler failed (%s)", self.shown)

    def _read(self) -> bool:
        """One connection's frames to on_frame; True when the source has simply finished."""
        for frame in open_frames(self.config, self._stop_event):
            self._times.append(time.monotonic())
            self._backoff = self.backoff_initial  # frames came: the next outage starts over
            self._set(state="online", last_frame_at=frame.captured_at, error="")
            try:
                self.on_frame(frame)
            except Exception:
                logger.exception("camera frame handler failed (%s)", self.shown)
        if self._stop_event.is_set() or self.config.kind == "file":
            return True  # stopped, or a file played once (loop=False)
        raise _error(self.config, "the stream ended")

    def run(self) -> None:
        self._backoff = self.backoff_initial
        self._report()
        if self.config.kind not in SOURCE_KINDS:
            self._set(state="error", error=f"unknown source kind: {self.config.kind!r}")
            return
        while not self._stop_event.is_set():
            try:
                if self._read():
                    break
            except Exception as exc:  # SourceError, or a bug: either way the reader goes on
                if self._stop_event.is_set():
                    break  # the error is the interrupted read of a stop
                if isinstance(exc, SourceError):
                    message = str(exc)
                else:  # where, not what: the text of an unexpected error may quote the URL
                    logger.error("camera reader failed (%s): %s\n%s", self.shown, type(exc).__name__,
                                 "".join(traceback.format_tb(exc.__traceback__)))
                    message = f"unexpected error: {type(exc).__name__}"
                logger.warning("camera source unavailable: %s; retrying in %.1f s", message, self._backoff)
                self._set(state="reconnecting", error=message, reconnects=self._status.reconnects + 1)
                self._stop_event.wait(self._backoff)
                self._backoff = min(self._backoff * 2, self.backoff_max)
        self._set(state="stopped")
