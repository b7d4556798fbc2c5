"""A real webhook receiver on 127.0.0.1 that checks signatures as the README tells receivers to."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from integrations.models import Destination, Event

MAX_AGE_SECONDS = 300  # a receiver refuses older timestamps (replays)


@dataclass
class Received:
    event_id: str
    attempt: int
    verified: bool
    body: dict
    headers: dict


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1: each POST is checked against `secret` the way the README
    says a receiver should, recorded, de-duplicated by event id and answered from `script`
    (a status code, "drop": close without an answer, ("redirect", path)); then `default`."""

    secret: str = ""
    script: list = field(default_factory=list)
    default: object = 200
    requests: list = field(default_factory=list)
    unique: dict = field(default_factory=dict)  # event id -> body, the first time it came
    paths: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = receiver.take(self.path, body, dict(self.headers))
                if answer == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)  # the body arrived; its answer is lost
                    return
                if isinstance(answer, tuple):
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}{answer[1]}")
                else:
                    self.send_response(answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def take(self, path: str, body: bytes, headers: dict):
        with self.lock:
            self.paths.append(path)
            record = Received(headers.get("X-Faceapp-Event-Id", ""), int(headers.get("X-Faceapp-Attempt", 0)),
                              verify(self.secret, headers, body), json.loads(body or b"{}"), headers)
            self.requests.append(record)
            if record.verified:
                self.unique.setdefault(record.event_id, record.body)
            return self.script.pop(0) if self.script else self.default


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The README's verification: HMAC-SHA256 of "<timestamp>.<body>", a fresh timestamp."""
    timestamp = headers.get("X-Faceapp-Timestamp", "")
    expected = "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < MAX_AGE_SECONDS
    return fresh and hmac.compare_digest(expected, headers.get("X-Faceapp-Signature", ""))


def destination_for(receiver: Receiver, **fields) -> Destination:
    fields = {"name": "Register", "url": receiver.url(), "allow_private": True,
              "event_types": [Event.VISIT_NAMED], **fields}
    destination = Destination.objects.create(**fields)
    receiver.secret = destination.secret
    return destination
