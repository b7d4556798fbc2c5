"""Camera sources read by the server: RTSP, HTTP MJPEG, an HTTP snapshot URL polled every
few seconds (identity.live.snapshots), and a video file played at its own rate. Plain Python,
no Django.

PyAV rather than OpenCV's FFmpeg backend: it has open and read timeouts and reads that can be
stopped. Frames are sampled to the configured fps. A CameraReader thread keeps one source going:
reconnects with backoff and reports its state. Every failure is a SourceError with a fixed
message (identity.live.source_errors): no text of FFmpeg's, Python's or the far end's is shown
or logged, since it can carry the URL, its credentials or a foreign service's banner. A source's
URL passes identity.live.source_url's gate at every open, its host is checked against the camera
networks, and FFmpeg may use only its kind's protocols; the credentials are joined to the
address only to open it, and the app names a source by its address alone.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from identity.live import source_errors as reasons
from identity.live.addresses import AddressError, Network, UnknownHost, networks_check, resolve
from identity.live.snapshots import snapshot_image
from identity.live.source_errors import SourceError
from identity.live.source_url import SourceSecret, SourceUrlError, address_shown, source_join, source_split
from identity.vision.image import DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_PIXELS

logger = logging.getLogger(__name__)

SOURCE_KINDS = ("rtsp", "mjpeg", "snapshot", "file")
# FFmpeg's protocols for each kind: neither a redirect nor a playlist takes a source to another one.
AV_PROTOCOLS = {"rtsp": "rtsp,rtsps,tcp,tls", "mjpeg": "http,https,tcp,tls", "file": "file"}
MAX_SNAPSHOT_BYTES = 20 * 1024 * 1024
FPS_WINDOW = 5.0  # seconds over which ReaderStatus.fps_in is counted
# A reader's first frame comes within this many read timeouts of the open (a source that sends
# data but never a frame would otherwise stay "starting" for good).
FIRST_FRAME_TIMEOUTS = 3
# Test connection splits its whole deadline: open (input, then stream info) and reads each get a
# quarter, and no read starts in the last quarter, so the grab ends within the deadline.
GRAB_SPLIT = 4


@dataclass(frozen=True)
class SourceConfig:
    kind: str  # one of SOURCE_KINDS
    url: str  # rtsp:// or http(s):// URL (its address: credentials in `secret`), or a file path for "file"
    fps: float = 5.0  # frames a second delivered
    poll_seconds: float = 2.0  # snapshot sources: one request every this many seconds
    timeout: float = 10.0  # open and read timeout, seconds; a snapshot's whole request; a grab's whole deadline
    loop: bool = True  # file sources start again at the end
    max_bytes: int = MAX_SNAPSHOT_BYTES  # snapshot sources: the most bytes read (the upload cap)
    max_pixels: int = DEFAULT_MAX_PIXELS  # a bigger picture is refused, not decoded (all kinds)
    max_decoded_bytes: int = DEFAULT_MAX_DECODED_BYTES  # snapshot sources: what decoding may hold
    # Joined to `url` only to open it; None: stored credentials that can no longer be read.
    secret: SourceSecret | None = field(default=SourceSecret(), repr=False)
    networks: tuple[Network, ...] = ()  # the networks a source may be in (FACEAPP_CAMERA_NETWORKS); () = any


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR uint8 (H, W, 3)
    captured_at: float  # time.time() when read
    first: bool = False  # the first frame of a connection, or of a file played again: no frame before it goes on
    session: int = 0  # a CameraReader's count of such first frames: a new number is a picture cut


def source_shown(config: SourceConfig) -> str:
    """The source as the app shows it: its address (or file path), never its credentials."""
    return address_shown(config.url, kind=config.kind)


def source_open_url(config: SourceConfig) -> str:
    """The URL to open: the address through the gate, credentials joined, the host in the camera networks."""
    if config.kind == "file":
        return config.url
    if config.secret is None:
        raise SourceError(reasons.CREDENTIALS)
    try:
        address, inline = source_split(config.url, kind=config.kind)
        url = source_join(address, config.secret or inline)
        source_split(url, kind=config.kind)  # the stored credentials pass the same gate
    except SourceUrlError:
        raise SourceError(reasons.BAD_URL) from None
    try:
        networks_check(address.host, address.port or 0, config.networks)
    except UnknownHost:
        raise SourceError(reasons.UNKNOWN_HOST) from None
    except AddressError:
        raise SourceError(reasons.NOT_ALLOWED) from None
    return url


@dataclass(frozen=True)
class _Deadlines:
    op: float  # each open step and each read, seconds (PyAV's interrupt)
    first_frame: float  # the first frame comes within this many seconds of the open's start
    said: float  # the seconds a timeout names


def _deadlines(config: SourceConfig, *, whole: bool) -> _Deadlines:
    if whole:  # test connection: open and first frame end within config.timeout
        op = config.timeout / GRAB_SPLIT
        return _Deadlines(op, config.timeout - op, config.timeout)
    return _Deadlines(config.timeout, FIRST_FRAME_TIMEOUTS * config.timeout, config.timeout)


def _opening_error(config: SourceConfig, exc: BaseException, deadlines: _Deadlines, elapsed: float) -> SourceError:
    """A fixed reason for what av.open raised; FFmpeg's text is dropped (it repeats the URL)."""
    import av  # PyAV loads FFmpeg: only processes that read streams pay for it

    is_file = config.kind == "file"
    if isinstance(exc, (av.ExitError, TimeoutError)) or elapsed >= deadlines.op * 0.9:
        # FFmpeg reports its own timeout as "invalid data" or "exit requested": say what happened.
        return SourceError(reasons.TIMEOUT, seconds=deadlines.said)
    if isinstance(exc, ConnectionRefusedError):
        return SourceError(reasons.REFUSED)
    if isinstance(exc, (av.error.HTTPUnauthorizedError, av.error.HTTPForbiddenError)):
        return SourceError(reasons.AUTH)
    if isinstance(exc, (av.error.HTTPNotFoundError, FileNotFoundError)):
        return SourceError(reasons.NO_FILE if is_file else reasons.NOT_FOUND)
    if isinstance(exc, (av.error.HTTPClientError, av.error.HTTPError)):
        return SourceError(reasons.HTTP_ERROR)
    if isinstance(exc, (av.error.InvalidDataError, EOFError, ConnectionResetError, BrokenPipeError)):
        return SourceError(reasons.NOT_VIDEO if is_file else reasons.NOT_CAMERA)
    if isinstance(exc, (av.error.ProtocolNotFoundError, ValueError)):
        return SourceError(reasons.BAD_URL)  # an unknown protocol, an embedded NUL, a bad option
    if isinstance(exc, OSError) and not is_file:
        return _unreached(config)
    return _unexpected(config, exc)


def _unreached(config: SourceConfig) -> SourceError:
    """FFmpeg says "input/output error" alike for a name no DNS knows and a failed TLS handshake:
    the name is looked up again to tell which (an error path only)."""
    try:
        address, _ = source_split(config.url, kind=config.kind)
        resolve(address.host, address.port or 0)
    except SourceUrlError:
        return SourceError(reasons.UNREACHABLE)  # not reached: the gate refused it before opening
    except UnknownHost:
        return SourceError(reasons.UNKNOWN_HOST)
    secure = config.url.lower().startswith(("https:", "rtsps:"))
    return SourceError(reasons.TLS if secure else reasons.UNREACHABLE)


def _unexpected(config: SourceConfig, exc: BaseException) -> SourceError:
    """Logged by class and stack only: the exception's text may be a foreign service's."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("camera %s source: unexpected %s\n%s", config.kind, type(exc).__qualname__, stack)
    return SourceError(reasons.FAILED)


def _open_av(config: SourceConfig, deadlines: _Deadlines):
    import av  # PyAV loads FFmpeg: only processes that read streams pay for it

    # max_pixels: FFmpeg's decoders refuse a bigger picture (probing the stream decodes one too).
    options = {"max_pixels": str(config.max_pixels), "protocol_whitelist": AV_PROTOCOLS[config.kind]}
    if config.kind == "rtsp":
        options["rtsp_transport"] = "tcp"
    if config.kind == "mjpeg":
        options["max_redirects"] = "0"  # a redirect could lead out of the camera networks
    url = source_open_url(config)
    started = time.monotonic()
    try:
        container = av.open(url, format={"rtsp": "rtsp", "mjpeg": "mpjpeg"}.get(config.kind), options=options,
                            timeout=(deadlines.op, deadlines.op))
    except Exception as exc:  # whatever FFmpeg makes of the far end: a fixed reason
        raise _opening_error(config, exc, deadlines, time.monotonic() - started) from None
    if not container.streams.video:
        container.close()
        raise SourceError(reasons.NO_VIDEO)
    return container


def _av_frames(config: SourceConfig, stop: threading.Event, *, whole: bool = False) -> Iterator[Frame]:
    """`whole`: the open and the first frame within config.timeout (test connection)."""
    import av  # PyAV loads FFmpeg: only processes that read streams pay for it

    if config.kind == "file" and not Path(config.url).is_file():
        raise SourceError(reasons.NO_FILE)
    deadlines = _deadlines(config, whole=whole)
    started = time.monotonic()
    container = _open_av(config, deadlines)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.options = {"max_pixels": str(config.max_pixels)}  # a JPEG bomb in MJPEG
        period = 1.0 / max(config.fps, 0.01)
        next_at, file_start, delivered, first = 0.0, None, False, True
        while not stop.is_set():
            try:
                for packet in container.demux(stream):
                    if not delivered and time.monotonic() - started > deadlines.first_frame:
                        raise SourceError(reasons.TIMEOUT, seconds=deadlines.said)
                    for frame in packet.decode():
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
                        delivered = True
                        yield Frame(frame.to_ndarray(format="bgr24"), time.time(), first=first)
                        first = False
            except SourceError:
                raise
            except (av.ExitError, TimeoutError):  # the read timeout's interrupt
                raise SourceError(reasons.TIMEOUT, seconds=deadlines.said) from None
            except av.error.ArgumentError:  # how a decoder refuses a picture over max_pixels
                raise SourceError(reasons.TOO_LARGE) from None
            except (av.FFmpegError, OSError, ValueError):
                raise SourceError(reasons.FAILED if config.kind == "file" else reasons.ENDED) from None
            if config.kind != "file":
                raise SourceError(reasons.ENDED)
            if not config.loop:
                return
            container.seek(0)
            file_start, next_at, first = None, 0.0, True
    finally:
        container.close()


def _snapshot(config: SourceConfig) -> np.ndarray:
    return snapshot_image(source_open_url(config), timeout=config.timeout, max_bytes=config.max_bytes,
                          max_pixels=config.max_pixels, max_decoded_bytes=config.max_decoded_bytes)


def _snapshot_frames(config: SourceConfig, stop: threading.Event) -> Iterator[Frame]:
    first = True
    while not stop.is_set():
        started = time.monotonic()
        yield Frame(_snapshot(config), time.time(), first=first)
        first = False
        stop.wait(max(0.0, config.poll_seconds - (time.monotonic() - started)))


def open_frames(config: SourceConfig, stop: threading.Event | None = None) -> Iterator[Frame]:
    """Frames of the source, sampled to config.fps; SourceError when it cannot be read."""
    if config.kind not in SOURCE_KINDS:
        raise SourceError(reasons.UNKNOWN_KIND)
    stop = stop or threading.Event()
    return _snapshot_frames(config, stop) if config.kind == "snapshot" else _av_frames(config, stop)


def grab_frame(config: SourceConfig) -> np.ndarray:
    """One frame now (a "test connection" button), within config.timeout all told, or SourceError."""
    if config.kind not in SOURCE_KINDS:
        raise SourceError(reasons.UNKNOWN_KIND)
    try:
        if config.kind == "snapshot":
            return _snapshot(config)
        frames = _av_frames(replace(config, loop=False), threading.Event(), whole=True)
        try:
            for frame in frames:
                return frame.image
        finally:
            frames.close()  # closes the connection now, not when garbage-collected
    except SourceError:
        raise
    except Exception as exc:  # a bug, or a failure nobody foresaw: still one of the fixed messages
        raise _unexpected(config, exc) from None
    raise SourceError(reasons.ENDED)


@dataclass
class ReaderStatus:
    state: str  # starting, online, reconnecting, error (will not retry), stopped
    last_frame_at: float | None
    fps_in: float  # frames delivered a second, over the last FPS_WINDOW seconds
    error: str  # the last SourceError's fixed message; "" when none
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
        self._session = 0  # first frames delivered (Frame.session)

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
                logger.exception("camera status handler failed (%s)", source_shown(self.config))

    def _read(self) -> bool:
        """One connection's frames to on_frame; True when the source has simply finished."""
        for frame in open_frames(self.config, self._stop_event):
            self._session += frame.first
            frame = replace(frame, session=self._session)
            self._times.append(time.monotonic())
            self._backoff = self.backoff_initial  # frames came: the next outage starts over
            self._set(state="online", last_frame_at=frame.captured_at, error="")
            try:
                self.on_frame(frame)
            except Exception:
                logger.exception("camera frame handler failed (%s)", source_shown(self.config))
        if self._stop_event.is_set() or self.config.kind == "file":
            return True  # stopped, or a file played once (loop=False)
        raise SourceError(reasons.ENDED)

    def run(self) -> None:
        self._backoff = self.backoff_initial
        self._report()
        if self.config.kind not in SOURCE_KINDS:
            self._set(state="error", error=SourceError(reasons.UNKNOWN_KIND).message)
            return
        while not self._stop_event.is_set():
            try:
                if self._read():
                    break
            except Exception as exc:  # SourceError, or a bug: either way the reader goes on
                if self._stop_event.is_set():
                    break  # the error is the interrupted read of a stop
                message = (exc if isinstance(exc, SourceError) else _unexpected(self.config, exc)).message
                logger.warning("camera source unavailable: %s; retrying in %.1f s", message, self._backoff)
                self._set(state="reconnecting", error=message, reconnects=self._status.reconnects + 1)
                self._stop_event.wait(self._backoff)
                self._backoff = min(self._backoff * 2, self.backoff_max)
        self._set(state="stopped")
