"""Real MQTT brokers for tests: the machine's shared Mosquitto, a Mosquitto of the test's own
on a free port (to stop, restart or speak TLS), and a subscriber that records what arrives."""

import getpass
import json
import shutil
import socket
import subprocess
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.streams import free_port
from tests.waiting import wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
SHARED_PORT = 1883  # the machine's Mosquitto, which other tests use at the same time


def broker_answers(port: int) -> bool:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}")
    try:
        client.connect("127.0.0.1", port, keepalive=5)
        client.disconnect()
        return True
    except OSError:
        return False


class Observer:
    """A real subscriber: every message it got, in order, with its retain flag. `persistent`: its
    session (and what arrives while it is away) survives a broker restart."""

    def __init__(self, *, port: int, topics: list[str], persistent: bool = False, tls_ca: str = ""):
        self.messages: list[tuple[str, str, bool]] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"observer-{uuid.uuid4().hex[:10]}",
                                  clean_session=not persistent)  # fmt: skip
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        if tls_ca:
            self.client.tls_set(ca_certs=tls_ca)
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe([(t, 1) for t in topics])
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.on_message = lambda c, u, m: self.messages.append((m.topic, m.payload.decode(), bool(m.retain)))
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        wait_until(self._subscribed.is_set, "the observer's subscription")

    def payloads(self, topic: str) -> list[str]:
        return [payload for t, payload, _ in list(self.messages) if t == topic]

    def event_ids(self, prefix: str) -> list[str]:
        return [json.loads(p)["id"] for t, p, _ in list(self.messages) if t.startswith(f"{prefix}/events/")]

    def wait_for(self, topic: str, payload: str | None = None) -> str:
        def arrived():  # a list: an empty payload (a removed retained message) is an arrival too
            return [p for p in reversed(self.payloads(topic)) if payload is None or p == payload][:1]

        return wait_until(arrived, f"{topic} = {payload!r}")[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def retained_message(*, port: int, topic: str) -> tuple[str, bool]:
    """What the broker kept on `topic`, as a newcomer receives it."""
    observer = Observer(port=port, topics=[topic])
    try:
        wait_until(lambda: observer.messages, f"the retained message on {topic}")
        _, payload, retain = observer.messages[0]
        return payload, retain
    finally:
        observer.close()


class OwnBroker:
    """A Mosquitto of this test's own (persistent sessions, saved on a clean stop), to stop and restart."""

    def __init__(self, folder: Path, *, tls: tuple[Path, Path] | None = None):
        self.port, self.folder, self.process = free_port(), folder, None
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true", "persistence true",
                 f"persistence_location {folder}/", f"user {getpass.getuser()}"]  # fmt: skip
        if tls:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        log = (self.folder / "mosquitto.log").open("a")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.folder / "mosquitto.conf")], stdout=log, stderr=log)
        wait_until(lambda: self.process.poll() is not None or port_open(self.port), "the test's own Mosquitto")
        assert self.process.poll() is None, (self.folder / "mosquitto.log").read_text()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


