"""Request bodies and websocket messages over the caps, against a real Daphne started with
runstack's own command line: refused with 413 while they arrive (a 2 GB body streamed from a
generator, with a Content-Length and chunked), the server's memory flat; camera frames a little
over the upload cap answered "frame too large", far larger ones cut off before they are buffered.
"""

import contextlib
import json
import selectors
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets.sync.client
from asgiref.testing import ApplicationCommunicator
from django.conf import settings

from tests.browser import daphne_server
from tests.event_loops import run_scenario

GB = 10**9
CHUNK = b"x" * (1024 * 1024)  # one buffer, sent again and again: the body is never in memory
SMALL_CAP_MB = 8  # the server of these tests: FACEAPP_MAX_REQUEST_MB
RSS_GROWTH_LIMIT = 50 * 1024 * 1024
ANSWER_SECONDS = 60


# ---------- the server's memory ----------


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[tuple[int, subprocess.Popen]]:
    with daphne_server(tmp_path_factory.mktemp("daphne"), FACEAPP_MAX_REQUEST_MB=str(SMALL_CAP_MB)) as started:
        yield started


# ---------- a client that streams a body and reads the answer as soon as it comes ----------


def _body(total: int) -> Iterator[bytes]:
    while total > 0:
        piece = CHUNK[: min(total, len(CHUNK))]
        total -= len(piece)
        yield piece


def _chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


def post_streamed(port: int, path: str, body: Iterator[bytes], headers: dict[str, str]) -> tuple[int, bytes, int]:
    """POST `body` (a generator) on a raw socket; stop sending once the server answers, as
    browsers and curl do. Returns (status, answer, bytes of body sent)."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    answer, sent = b"", 0
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_SECONDS) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        pending, closed = memoryview(b""), False
        while b"\r\n\r\n" not in answer and not closed:
            if not pending:
                piece = next(body, None)
                if piece is None:  # all sent: only wait for the answer now
                    selector.modify(sock, selectors.EVENT_READ)
                    pending = memoryview(b"")
                else:
                    pending = memoryview(piece)
            events = selector.select(timeout=ANSWER_SECONDS)
            assert events, f"no answer after {sent} bytes"
            for _, mask in events:
                try:
                    if mask & selectors.EVENT_READ:
                        data = sock.recv(65536)
                        answer, closed = answer + data, not data
                    elif pending:
                        written = sock.send(pending)
                        sent, pending = sent + written, pending[written:]
                except (BlockingIOError, InterruptedError):
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
        sock.setblocking(True)
        answer = _rest_of_answer(sock, answer)
    assert answer.startswith(b"HTTP/1.1 "), f"no HTTP answer after {sent} bytes of body: {answer[:200]!r}"
    return int(answer.split(b" ", 2)[1]), answer, sent


def _rest_of_answer(sock: socket.socket, answer: bytes) -> bytes:
    """Read on until the answer's body is complete (by its Content-Length) or the server closes."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lengths = [line.split(b":", 1)[1] for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")]
    wanted = int(lengths[0]) if lengths else 0
    with contextlib.suppress(OSError):
        while len(body) < wanted and (data := sock.recv(65536)):
            body += data
    return head + b"\r\n\r\n" + body


def _refused_without_growth(port: int, process: subprocess.Popen, body: Iterator[bytes], headers: dict) -> bytes:
    before = rss_bytes(process.pid)
    status, answer, sent = post_streamed(port, "/healthz", body, headers)
    grown = rss_bytes(process.pid) - before
    assert status == 413, answer[:300]
    assert b"the limit is 8 MiB" in answer
    assert grown < RSS_GROWTH_LIMIT, f"Daphne grew by {grown / 2**20:.0f} MiB"
    assert sent < 2 * GB  # it stopped reading, so the client stopped sending
    assert process.poll() is None
    return answer


# ---------- http ----------


def test_it_refuses_a_2gb_body_with_a_content_length_before_reading_it(server):
    port, process = server
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(2 * GB)}
    _refused_without_growth(port, process, _body(2 * GB), headers)


def test_it_refuses_a_2gb_chunked_body_once_it_passes_the_cap(server):
    port, process = server
    headers = {"Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked"}
    _refused_without_growth(port, process, _chunked(_body(2 * GB)), headers)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_it_passes_a_body_under_the_cap_to_django(server, chunked):
    port, _ = server
    size = (SMALL_CAP_MB - 1) * 1024 * 1024
    if chunked:
        body, headers = _chunked(_body(size)), {"Transfer-Encoding": "chunked"}
    else:
        body, headers = _body(size), {"Content-Length": str(size)}
    status, answer, sent = post_streamed(port, "/healthz", body, {"Content-Type": "text/plain", **headers})
    assert status != 413, answer[:300]
    assert sent >= size


def test_it_still_answers_after_refusing(server):
    port, _ = server
    post_streamed(port, "/healthz", _body(2 * GB), {"Content-Length": str(2 * GB)})
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=ANSWER_SECONDS) as response:
        assert response.status == 200


# ---------- the ASGI middleware itself (for ASGI servers that stream bodies) ----------


def _asgi_post(headers: list[tuple[bytes, bytes]], pieces: int, piece_size: int) -> tuple[dict, int]:
    """POST through faceapp.asgi.application, body messages all queued up front; returns the
    response start and how many body messages were left unread."""

    from faceapp.asgi import application

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/healthz", "raw_path": b"/healthz",
             "query_string": b"", "root_path": "", "scheme": "http", "headers": [(b"host", b"127.0.0.1"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}  # fmt: skip

    async def run():
        communicator = ApplicationCommunicator(application, scope)
        for index in range(pieces):
            await communicator.send_input({"type": "http.request", "body": b"x" * piece_size,
                                           "more_body": index < pieces - 1})  # fmt: skip
        start = await communicator.receive_output(ANSWER_SECONDS)
        await communicator.receive_output(ANSWER_SECONDS)  # the body
        unread = communicator.input_queue.qsize()
        await communicator.wait(ANSWER_SECONDS)
        return start, unread

    return run_scenario(run)


@pytest.mark.django_db
def test_it_refuses_a_declared_length_in_asgi_without_reading_the_body(settings):
    settings.FACEAPP_MAX_REQUEST_BYTES = 1024 * 1024
    start, unread = _asgi_post([(b"content-length", str(2 * GB).encode())], pieces=4, piece_size=1024)
    assert start["status"] == 413
    assert unread == 4


@pytest.mark.django_db
def test_it_stops_reading_a_streamed_body_past_the_cap_in_asgi(settings):
    settings.FACEAPP_MAX_REQUEST_BYTES = 1024 * 1024
    start, unread = _asgi_post([], pieces=10, piece_size=256 * 1024)  # 2.5 MiB, no Content-Length
    assert start["status"] == 413
    assert unread == 10 - 5  # the fifth piece passed the cap: nothing after it was read


# ---------- websocket messages ----------


def _camera_socket(port: int, operator_user, camera_id: int):
    from django.test import Client

    client = Client()
    client.force_login(operator_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return websockets.sync.client.connect(
        f"ws://127.0.0.1:{port}/ws/cameras/{camera_id}/", open_timeout=ANSWER_SECONDS, max_size=None,
        additional_headers={"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie},
    )  # fmt: skip


def _frame_answer(socket_, frame: bytes) -> dict:
    socket_.send(frame)
    while True:
        message = json.loads(socket_.recv(timeout=ANSWER_SECONDS))
        if message.get("type") == "camera.frame":
            return message


@pytest.mark.django_db(transaction=True)
def test_it_answers_camera_frames_over_1_mib_and_over_the_upload_cap(server, operator_user):
    from tests import review_data

    port, process = server
    camera = review_data.make_camera("Gate")
    cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    with _camera_socket(port, operator_user, camera.pk) as camera_socket:
        # 1.6 MB (Daphne's default 1 MiB message limit cut this off without a close frame).
        assert _frame_answer(camera_socket, b"\xff\xd8\xff" + b"\0" * 1_600_000)["type"] == "camera.frame"
        too_large = _frame_answer(camera_socket, b"\xff\xd8\xff" + b"\0" * (cap + 512 * 1024))
        assert too_large == {"type": "camera.frame", "status": "rejected", "error": "frame too large"}
        # The socket is still open: another frame gets its answer too.
        assert _frame_answer(camera_socket, b"\xff\xd8\xff" + b"\0" * (cap + 1))["error"] == "frame too large"


@pytest.mark.django_db(transaction=True)
def test_it_cuts_off_a_websocket_message_far_over_the_limit_unbuffered(server, operator_user):
    from tests import review_data

    port, process = server
    camera = review_data.make_camera("Back door")
    before = rss_bytes(process.pid)
    with _camera_socket(port, operator_user, camera.pk) as camera_socket:
        with pytest.raises(websockets.exceptions.ConnectionClosed):
            camera_socket.send(b"\0" * (settings.FACEAPP_WS_MAX_MESSAGE_BYTES * 4))
            camera_socket.recv(timeout=ANSWER_SECONDS)
    assert rss_bytes(process.pid) - before < RSS_GROWTH_LIMIT
    assert process.poll() is None
