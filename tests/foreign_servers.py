"""Servers on 127.0.0.1 that a camera URL can point at and that are not cameras, for the camera
hardening tests (helpers, not tests): services that speak first or answer with their own
protocol (a NATS-like banner, Redis-like and PostgreSQL-like errors), a snapshot server that
answers 200 and then one byte at a time, and one that serves whatever bytes it is given. Each
records what it saw: connections, and whether the client closed first."""

from __future__ import annotations

import socket
import threading
import time

SECRET = b"SECRETBANNER"
NATS_BANNER = b'INFO {"server_id":"' + SECRET + b'","version":"2.10.1","proto":1,"max_payload":1048576}\r\n'
REDIS_ERROR = b"-ERR unknown command 'GET', with args beginning with: " + SECRET + b"\r\n"
# A PostgreSQL ErrorResponse, as a server answers a startup packet it cannot read.
_PG_FIELDS = b"SFATAL\0VFATAL\0C0A000\0Munsupported frontend protocol 1195725856.0: " + SECRET + b" 16.4\0\0"
PG_ERROR = b"E" + (4 + len(_PG_FIELDS)).to_bytes(4, "big") + _PG_FIELDS


class TcpServer:
    """Accepts on a free port of 127.0.0.1 and runs `handle(connection)` in a thread for each."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.client_closed = threading.Event()  # a client closed its side before the server gave up
        self.gave_up = threading.Event()  # the server ended a connection on its own
        self._stopped = False

    def url(self, scheme: str, path: str = "/cam") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def handle(self, connection: socket.socket) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        while not self._stopped:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.handle(connection)
            except OSError:
                pass

    def __enter__(self) -> TcpServer:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped = True
        self.listener.close()


class BannerServer(TcpServer):
    """A service that is not a camera: `greeting` on connect (NATS speaks first), then `reply`
    to whatever the client sends, then it hangs up."""

    def __init__(self, *, greeting: bytes = b"", reply: bytes = b""):
        super().__init__()
        self.greeting, self.reply = greeting, reply

    def handle(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        if self.greeting:
            connection.sendall(self.greeting)
        if connection.recv(65536) and self.reply:
            connection.sendall(self.reply)
        time.sleep(0.2)  # the client reads the reply before the hang-up


def nats_like() -> BannerServer:
    return BannerServer(greeting=NATS_BANNER, reply=b"-ERR 'Unknown Protocol Operation' " + SECRET + b"\r\n")


def redis_like() -> BannerServer:
    return BannerServer(reply=REDIS_ERROR)


def postgres_like() -> BannerServer:
    return BannerServer(reply=PG_ERROR)


class SlowServer(TcpServer):
    """HTTP 200 with a JPEG's headers, then one byte every `interval` seconds, for at most
    `give_up_after` seconds; notes whether the client closed the connection first."""

    def __init__(self, *, interval: float = 2.0, give_up_after: float = 40.0):
        super().__init__()
        self.interval, self.give_up_after = interval, give_up_after

    def handle(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        connection.recv(65536)  # the request
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 1000000\r\n\r\n\xff")
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            connection.settimeout(self.interval)
            try:
                if connection.recv(1) == b"":
                    self.client_closed.set()  # the client's FIN
                    return
            except TimeoutError:
                pass
            except OSError:
                self.client_closed.set()  # reset by the client
                return
            connection.sendall(b"\xd8")
        self.gave_up.set()


def http_ok(connection: socket.socket, body: bytes, content_type: str = "image/jpeg") -> None:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    connection.sendall(head.encode() + body)


def mjpeg_parts(jpeg: bytes, count: int = 2) -> bytes:
    """`count` parts of an MJPEG stream (boundary "frame"), each the JPEG."""
    part = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
    return (part + jpeg + b"\r\n") * count


class FileServer(TcpServer):
    """HTTP 200 with `body` (image/jpeg, or `content_type`) to every GET; with `authorization`,
    401 to a GET without that Authorization header."""

    def __init__(self, body: bytes, *, authorization: str = "", content_type: str = "image/jpeg"):
        super().__init__()
        self.body, self.authorization, self.content_type = body, authorization, content_type

    def handle(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        request = connection.recv(65536).decode("latin-1")
        if self.authorization and f"\r\nAuthorization: {self.authorization}\r\n" not in request:
            connection.sendall(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
            return
        http_ok(connection, self.body, self.content_type)


class TurncoatCamera(TcpServer):
    """A snapshot camera (`jpeg` to every GET) that turns into a NATS-like server on turn()."""

    def __init__(self, jpeg: bytes):
        super().__init__()
        self.jpeg, self.turned = jpeg, threading.Event()

    def turn(self) -> None:
        self.turned.set()

    def handle(self, connection: socket.socket) -> None:
        if self.turned.is_set():
            nats_like().handle(connection)
            return
        connection.settimeout(10)
        connection.recv(65536)
        http_ok(connection, self.jpeg)


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_port() -> int | None:
    """5432 when a real PostgreSQL listens on 127.0.0.1, else None."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return 5432 if sock.connect_ex(("127.0.0.1", 5432)) == 0 else None
