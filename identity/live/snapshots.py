"""HTTP snapshot sources: one GET under a whole-request deadline and a byte cap, the image then
checked from its header and decoded under the upload path's caps. Plain Python, no Django.

A per-read timeout is not a deadline (a server sending one byte every 2 s never trips one): a
timer shuts the socket down when the request's time is up, whatever it is waiting for.
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import numpy as np

from identity.live import source_errors as reasons
from identity.live.source_errors import SourceError
from identity.vision.image import ImageError, ImageTooManyPixels, decode_image, image_header_check

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


@dataclass(frozen=True)
class SnapshotRequest:
    https: bool
    host: str
    port: int | None
    target: str  # path and query
    headers: dict[str, str]


def snapshot_request(url: str) -> SnapshotRequest:
    """The GET of a snapshot URL; SourceError(bad-url) for anything that is not an http(s) URL."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port  # port: ValueError when not a number in range
        username, password = parts.username, parts.password
    except (ValueError, TypeError):
        raise SourceError(reasons.BAD_URL) from None
    if parts.scheme not in ("http", "https") or not host:
        raise SourceError(reasons.BAD_URL)
    headers = {"Accept": "image/*", "Connection": "close"}
    if username is not None:
        credentials = f"{unquote(username)}:{unquote(password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return SnapshotRequest(parts.scheme == "https", host, port, target, headers)


def _network_error(exc: BaseException, *, answered: bool) -> SourceError:
    """A fixed reason for what http.client, ssl or the socket raised; its text is dropped."""
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, http.client.InvalidURL) or (isinstance(exc, ValueError) and not answered):
        return SourceError(reasons.BAD_URL)  # UnicodeError (a host IDNA refuses) is a ValueError
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return SourceError(reasons.TLS)
    if isinstance(exc, ConnectionRefusedError):
        return SourceError(reasons.REFUSED)
    if answered:
        return SourceError(reasons.ENDED)  # cut or broken off after its status line
    if isinstance(exc, (http.client.HTTPException, ConnectionResetError, BrokenPipeError)):
        return SourceError(reasons.NOT_CAMERA)  # a banner, an error packet, or a hang-up instead of HTTP
    if isinstance(exc, socket.gaierror):
        return SourceError(reasons.UNKNOWN_HOST)
    if isinstance(exc, OSError):
        return SourceError(reasons.UNREACHABLE)  # no route, no answer
    logger.warning("snapshot read failed: %s", type(exc).__qualname__)  # the class only: the text may be foreign
    return SourceError(reasons.FAILED)


def _status_error(status: int) -> SourceError:
    if status in (401, 403, 407):
        return SourceError(reasons.AUTH)
    if status in (404, 410):
        return SourceError(reasons.NOT_FOUND)
    return SourceError(reasons.HTTP_ERROR)


def _body(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    length = response.getheader("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise SourceError(reasons.TOO_LARGE)  # said before a byte of it is read
    data = bytearray()
    while len(data) <= max_bytes:
        chunk = response.read(min(CHUNK, max_bytes + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    if len(data) > max_bytes:
        raise SourceError(reasons.TOO_LARGE)
    if length.isdigit() and len(data) < int(length):
        raise SourceError(reasons.ENDED)  # cut short
    return bytes(data)


def http_get(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The body of a 200 answer to GET `url`, all of it within `timeout` seconds and at most
    `max_bytes`; SourceError otherwise (the connection is closed either way)."""
    request = snapshot_request(url)
    connection_class = http.client.HTTPSConnection if request.https else http.client.HTTPConnection
    connection = connection_class(request.host, request.port, timeout=timeout)
    time_up = threading.Event()

    def cut() -> None:
        time_up.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked read at once
            except OSError:
                pass

    timer = threading.Timer(timeout, cut)
    timer.daemon = True
    timer.start()
    answered, failure = False, None
    try:
        connection.request("GET", request.target, headers=request.headers)
        response = connection.getresponse()
        answered = True
        if response.status != 200:
            raise _status_error(response.status)
        body = _body(response, max_bytes)
    except SourceError as error:
        failure = error
    except Exception as exc:  # whatever a foreign server makes http.client raise: a fixed reason
        failure = SourceError(reasons.TIMEOUT, seconds=timeout) if isinstance(exc, TimeoutError) else (
            _network_error(exc, answered=answered))
    finally:
        timer.cancel()
        connection.close()
    if time_up.is_set():  # whatever the cut read made of it
        raise SourceError(reasons.TIMEOUT, seconds=timeout)
    if failure is not None:
        raise failure
    return body


def snapshot_image(url: str, *, timeout: float, max_bytes: int, max_pixels: int, max_decoded_bytes: int) -> np.ndarray:
    """The snapshot at `url` as a BGR array, refused from its header over the pixel cap and
    decoded within `max_decoded_bytes`, as uploads are; SourceError otherwise."""
    data = http_get(url, timeout=timeout, max_bytes=max_bytes)
    try:
        image_header_check(data, max_pixels=max_pixels)
        image = decode_image(data, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes)
    except ImageTooManyPixels:
        raise SourceError(reasons.TOO_LARGE) from None
    except ImageError:
        raise SourceError(reasons.NOT_IMAGE) from None
    return image
