"""Camera source URLs cannot be turned against the server (issue 25, items 1, 2, 5 and 6): a URL
holding CR/LF never reaches a real Redis on 127.0.0.1 (the form, a row written directly, the
reader), FFmpeg keeps to the kind's protocols, the camera networks hold, and a table of secret
forms never shows up in a page, a dashboard socket message, an event, a webhook body, an MQTT
payload or a log line. Real servers on 127.0.0.1 throughout: Redis, MJPEG cameras, the webhook
receiver, the Redis channel layer."""

import re
import json
import logging
import socket
import subprocess
import threading
import time

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from faceapp.asgi import application
from faceapp.redis_client import redis_client
from identity.live.addresses import networks_parse
from identity.live.source_errors import BAD_URL, MESSAGES
from identity.live.source_url import SourceSecret
from identity.live.sources import CameraReader, SourceConfig, SourceError, grab_frame
from identity.models import Camera
from identity.services.readers import ReaderSupervisor, camera_frame_test
from identity.services.realtime import DASHBOARD_GROUP, push
from integrations import webhooks
from integrations.events import STREAM
from integrations.models import Delivery, Event
from integrations.mqtt.state import PresenceBook, RetainedState
from integrations.mqtt.topics import Topics
from integrations.mqtt.translate import Translator
from tests import live_data, streams
from tests.event_loops import run_scenario
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

CRLF_PATH = "/x\r\nSET injected-key pwned\r\nSAVE\r\n"


class RedisOnAPort:
    """A redis-server of the test's own on a free port of 127.0.0.1, nothing saved to disk."""

    def __init__(self, tmp_path):
        self.port = streams.free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        streams.wait_port(self.port, process=self.process)
        import redis

        self.client = redis.Redis(host="127.0.0.1", port=self.port)
        self.connections_before = self.connections()

    def connections(self) -> int:
        return int(self.client.info("stats")["total_connections_received"])

    def untouched(self) -> bool:
        """No client but ours ever connected, and no key was written."""
        return self.connections() == self.connections_before and self.client.dbsize() == 0

    def stop(self) -> None:
        self.client.close()
        self.process.kill()
        self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path):
    server = RedisOnAPort(tmp_path)
    yield server
    server.stop()


def _stream(**fields) -> dict:
    return {"name": "Gate", "kind": "rtsp", "fps": 5, "poll_seconds": 2, **fields}


@pytest.mark.django_db
def test_it_refuses_a_url_with_crlf_in_the_form_and_redis_hears_nothing(client, operator_user, own_redis, settings):
    settings.FACEAPP_COMPARE_WAIT_SECONDS = 0.5  # had a camera been taken, its test job would wait in the queue
    client.force_login(operator_user)
    url = f"rtsp://127.0.0.1:{own_redis.port}{CRLF_PATH}"

    response = client.post(reverse("camera-list"), _stream(source_url=url))

    assert response.status_code == 200 and "control character" in response.content.decode()
    for camera in Camera.objects.filter(name="Gate"):  # had it been taken, its test would connect
        client.post(reverse("camera-test", args=[camera.pk]))
    assert not Camera.objects.filter(name="Gate").exists()
    assert own_redis.untouched()


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_never_connects_for_a_crlf_url_written_directly_into_the_database(client, operator_user, own_redis,
                                                                              celery_worker, settings):
    settings.FACEAPP_RATE_COMPARE_PER_MINUTE = 0  # test connection shares compare's limit: not counted here
    camera = Camera.objects.create(name="Gate", kind=Camera.RTSP, source_address=f"rtsp://127.0.0.1:{own_redis.port}{CRLF_PATH}")
    live_data.live_keys_clear(camera)
    client.force_login(operator_user)

    page = client.post(reverse("camera-test", args=[camera.pk])).content.decode()
    test = camera_frame_test(camera=camera)
    supervisor = ReaderSupervisor()
    supervisor.sync()
    try:
        reader = supervisor.readers[camera.pk][1]
        wait_until(lambda: reader.status.state == "reconnecting", "the reader's refusal")
    finally:
        supervisor.stop_all()

    assert test["error"] == reader.status.error == MESSAGES[BAD_URL]
    assert f"Connection failed: {MESSAGES[BAD_URL]}" in page and "SET injected-key" not in page
    assert own_redis.untouched()


def test_it_never_connects_for_a_crlf_url_given_to_a_reader(own_redis):
    config = SourceConfig(kind="rtsp", url=f"rtsp://127.0.0.1:{own_redis.port}{CRLF_PATH}", timeout=3)
    statuses = []
    reader = CameraReader(config, on_frame=lambda frame: None, on_status=statuses.append, backoff_initial=0.1)
    reader.start()
    try:
        wait_until(lambda: reader.status.reconnects >= 2, "two attempts of the reader")
    finally:
        reader.stop()
        reader.join(15)

    with pytest.raises(SourceError, match=re.escape(MESSAGES[BAD_URL])):
        grab_frame(config)
    assert own_redis.untouched()


def test_it_refuses_crlf_in_stored_credentials_too(own_redis):
    config = SourceConfig(kind="rtsp", url=f"rtsp://127.0.0.1:{own_redis.port}/x", timeout=3,
                          secret=SourceSecret(target=CRLF_PATH))

    with pytest.raises(SourceError, match=re.escape(MESSAGES[BAD_URL])):
        grab_frame(config)
    assert own_redis.untouched()


class Listener:
    """A TCP listener on 127.0.0.1 that records whatever bytes reach it (and answers nothing)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port, self.received, self.connections = self.sock.getsockname()[1], [], 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn) -> None:
        with conn:
            conn.settimeout(5)
            try:
                while data := conn.recv(4096):
                    self.received.append(data)
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()


def test_it_keeps_a_camera_out_of_networks_not_listed(settings):
    listener = Listener()
    try:
        config = SourceConfig(kind="mjpeg", url=f"http://localhost:{listener.port}/stream.mjpg", timeout=3,
                              networks=networks_parse("192.168.0.0/16, 10.0.0.0/8", name="test"))
        with pytest.raises(SourceError, match=r"not on a network this server may read cameras from"):
            grab_frame(config)
    finally:
        listener.close()
    assert listener.connections == 0


@pytest.mark.django_db
def test_it_refuses_a_camera_outside_the_camera_networks_in_the_form(client, operator_user, settings):
    settings.FACEAPP_CAMERA_NETWORKS = networks_parse("192.168.1.0/24", name="FACEAPP_CAMERA_NETWORKS")
    client.force_login(operator_user)

    body = client.post(reverse("camera-list"), _stream(source_url="rtsp://127.0.0.1:8554/cam")).content.decode()
    assert "127.0.0.1 is at 127.0.0.1, not on a network this server may read cameras from (192.168.1.0/24)" in body
    assert client.post(reverse("camera-list"), _stream(source_url="rtsp://192.168.1.20/cam")).status_code == 302


@pytest.mark.django_db
def test_it_says_in_the_form_that_no_device_has_a_name_no_dns_knows(client, operator_user, settings):
    settings.FACEAPP_CAMERA_NETWORKS = networks_parse("192.168.1.0/24", name="FACEAPP_CAMERA_NETWORKS")
    client.force_login(operator_user)

    body = client.post(reverse("camera-list"), _stream(source_url="rtsp://no-such-camera.invalid/cam")).content.decode()
    assert "no device on the network has the name no-such-camera.invalid: check its spelling, or use its IP." in body


def test_it_keeps_ffmpeg_to_the_kinds_protocols():
    """An MJPEG camera that redirects to file:// or to another host is not followed."""
    listener = Listener()

    class Redirect(streams.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            target = "file:///etc/passwd" if self.path == "/to-file" else f"http://127.0.0.1:{listener.port}/x"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = streams.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        for kind in ("mjpeg", "snapshot"):
            for path in ("/to-file", "/to-another-host"):
                with pytest.raises(SourceError):
                    grab_frame(SourceConfig(kind=kind, url=f"http://127.0.0.1:{httpd.server_address[1]}{path}", timeout=3))
    finally:
        httpd.shutdown()
        httpd.server_close()
        listener.close()
    assert listener.connections == 0


# The secret forms: (kind, the URL as typed with PORT for the camera's port, the server's stream target,
# its basic auth, the words of the secret that must never be seen). Each secret is made of words found
# nowhere else, so that a part of it leaking shows as well as the whole; eight letters or more, as a
# shorter word turns up by chance in a test picture's base64 on a page (a 4-letter one did, once).
SECRET_FORMS = {
    "quotes, spaces, @, : and % in a password": (
        "mjpeg", "http://admin:Kiwi7Romeo%22Mango8Sierra%20Plum9Tango%40Fig0Uniform%3ALime1Victor%25@127.0.0.1:PORT/"
        "stream.mjpg", "/stream.mjpg", 'admin:Kiwi7Romeo"Mango8Sierra Plum9Tango@Fig0Uniform:Lime1Victor%',
        ["Kiwi7Romeo", "Mango8Sierra", "Plum9Tango", "Fig0Uniform", "Lime1Victor"]),
    "query secrets": (
        "mjpeg", "http://127.0.0.1:PORT/stream.mjpg?access_token=Tok3nAlpha&api_key=Ap1Bravo&size=2",
        "/stream.mjpg?access_token=Tok3nAlpha&api_key=Ap1Bravo&size=2", None, ["Tok3nAlpha", "Ap1Bravo"]),
    "a DVR's path secrets": (
        "mjpeg", "http://127.0.0.1:PORT/user=Usr4Golf_password=Xyz9Charlie_channel=1_stream=0.mjpg",
        "/user=Usr4Golf_password=Xyz9Charlie_channel=1_stream=0.mjpg", None, ["Usr4Golf", "Xyz9Charlie"]),
    "a ;password= in a path": (
        "mjpeg", "http://127.0.0.1:PORT/live;password=Semi7Delta", "/live;password=Semi7Delta", None, ["Semi7Delta"]),
}
UNREACHABLE_FORMS = {  # no server: nothing listens on the default ports of 127.0.0.1
    "basic auth with no port (snapshot)": ("snapshot", "http://admin:NoPort5Echo@127.0.0.1/snapshot.jpg", ["NoPort5Echo"]),
    "basic auth with no port (RTSP)": ("rtsp", "rtsp://Rtsp6User:Rtsp6Fox@127.0.0.1/cam", ["Rtsp6User", "Rtsp6Fox"]),
}
RAW_FORMS = {  # as an operator may paste them: refused, and the refusal shows none of it
    "a quote and a space as they are": ("rtsp", 'rtsp://admin:Raw1Kilo"Hotel Raw2Lima@127.0.0.1:554/cam',
                                         ["Raw1Kilo", "Raw2Lima"]),
    "an @ as it is": ("rtsp", "rtsp://admin:Raw3India@Raw4Mike@127.0.0.1/cam", ["Raw3India", "Raw4Mike"]),
    "a bad port": ("rtsp", "rtsp://admin:Raw5Juliet@127.0.0.1:Raw6Oscar/cam", ["Raw5Juliet", "Raw6Oscar"]),
}
SECRET_WORDS = [word for forms in (SECRET_FORMS, UNREACHABLE_FORMS, RAW_FORMS) for *_, words in forms.values()
                for word in words]


def _leaks(text: str) -> list[str]:
    return [word for word in SECRET_WORDS if word.lower() in text.lower()]


END = {"type": "attendance.row", "attendance": {"end of": "the test"}}


def _without_replay_id(message: dict) -> dict:
    """END's type is replayed: it comes with the replay log's id."""
    return {key: value for key, value in message.items() if key != "replay_id"}


def _dashboard_messages(viewer_user, connected: threading.Event) -> list[dict]:
    """What a viewer's dashboard socket receives until END is pushed (a receive that times out
    would end the consumer: the communicator cancels it)."""
    client = Client()  # its own: the operator's goes on in another thread
    client.force_login(viewer_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    communicator = WebsocketCommunicator(application, "/ws/dashboard/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie.encode())])

    async def scenario():
        assert (await communicator.connect(timeout=30))[0]
        connected.set()
        received = []
        while _without_replay_id(message := await communicator.receive_json_from(timeout=180)) != END:
            received.append(message)
        await communicator.disconnect()
        return received

    return run_scenario(scenario)


@pytest.mark.django_db(transaction=True)
def test_it_shows_sends_and_logs_no_secret_of_a_camera_url(client, operator_user, viewer_user, receiver, media_root,
                                                           caplog, capfd, celery_worker, settings):
    settings.FACEAPP_RATE_COMPARE_PER_MINUTE = 0  # test connection shares compare's limit: not counted here
    caplog.set_level(logging.DEBUG)
    client.force_login(operator_user)
    redis_client().delete(STREAM)
    destination_for(receiver, event_types=["camera.online", "camera.offline"])
    servers = {name: streams.MjpegServer([live_data.scene(None)], fps=5, stream_target=target, basic_auth=auth)
               for name, (_, _, target, auth, _) in SECRET_FORMS.items()}
    for server in servers.values():
        server.start()
    pages, cameras = [], {}
    for index, (name, (kind, url, *_)) in enumerate(SECRET_FORMS.items()):
        url = url.replace("PORT", str(servers[name].port))
        pages.append(client.post(reverse("camera-list"), _stream(name=f"Cam {index}", kind=kind, source_url=url)))
        cameras[name] = Camera.objects.get(name=f"Cam {index}")
    for index, (name, (kind, url, _)) in enumerate(UNREACHABLE_FORMS.items()):
        pages.append(client.post(reverse("camera-list"), _stream(name=f"Far {index}", kind=kind, source_url=url)))
        cameras[name] = Camera.objects.get(name=f"Far {index}")
    for name, (kind, url, _) in RAW_FORMS.items():
        refused = client.post(reverse("camera-list"), _stream(name="Raw", kind=kind, source_url=url))
        assert refused.status_code == 200 and not Camera.objects.filter(name="Raw").exists(), name
        pages.append(refused)
    for camera in cameras.values():
        live_data.live_keys_clear(camera)

    stop, connected = threading.Event(), threading.Event()
    supervisor = ReaderSupervisor()
    reading = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)

    def online_then_offline() -> None:
        try:
            connected.wait(60)
            served = [cameras[name] for name in SECRET_FORMS]
            wait_until(lambda: all(Event.objects.filter(camera=c, type="camera.online").exists() for c in served),
                       "every camera online (its credentials joined back right)")
            for camera in served:  # the test page while it works: a frame
                pages.append(client.post(reverse("camera-test", args=[camera.pk])))
            for server in servers.values():
                server.stop()
            wait_until(lambda: all(Event.objects.filter(camera=c, type="camera.offline").exists() for c in served),
                       "every camera offline")
            time.sleep(1.5)  # one more round of statuses pushed with the errors
        finally:
            push(DASHBOARD_GROUP, END)

    reading.start()
    flow = threading.Thread(target=online_then_offline, daemon=True)
    flow.start()
    socket_messages = _dashboard_messages(viewer_user, connected)
    flow.join(30)
    stop.set()
    reading.join(30)

    for camera in cameras.values():
        for route in ("camera-view", "camera-edit"):
            pages.append(client.get(reverse(route, args=[camera.pk])))
        pages.append(client.post(reverse("camera-test", args=[camera.pk])))
    pages.append(client.get(reverse("camera-list")))
    for delivery_id in Delivery.objects.values_list("pk", flat=True):
        webhooks.delivery_attempt(delivery_id=delivery_id)
    stream = [fields[b"event"].decode() for _, fields in redis_client().xrange(STREAM)]
    translator = Translator(topics=Topics(prefix="fa-test", discovery_prefix=""),
                            state=RetainedState(client=redis_client(), key="fa-test:urls:state"),
                            presence=PresenceBook(client=redis_client(), key="fa-test:urls:presence", timeout=60))
    mqtt = [m.payload for raw in stream for m in translator.messages(event=json.loads(raw), raw=raw)]

    assert any(m.get("type") == "camera.status" and m["camera"]["error"] for m in socket_messages)
    offline = [r.body for r in receiver.requests if r.body.get("type") == "camera.offline"]
    assert len(offline) == len(SECRET_FORMS) and all(body["data"]["error"] for body in offline)
    assert sum("data-test-frame" in page.content.decode() for page in pages) == len(SECRET_FORMS)  # each one read
    seen = {
        "pages": "\n".join(page.content.decode() for page in pages),
        "dashboard socket": json.dumps(socket_messages),
        "events": json.dumps([{"type": e.type, "data": e.data} for e in Event.objects.all()]),
        "webhook bodies": json.dumps([r.body for r in receiver.requests]),
        "event stream and MQTT payloads": "\n".join(stream + mqtt),
        "reader statuses": json.dumps([supervisor_status for supervisor_status in _statuses(cameras.values())]),
        "log lines": caplog.text + "\n".join(record.getMessage() for record in caplog.records),
        "stderr": capfd.readouterr().err,
    }
    assert {where: _leaks(text) for where, text in seen.items() if _leaks(text)} == {}
    fixed = {message.format(seconds=seconds) for message in MESSAGES.values() for seconds in (3, 10)}
    assert {body["data"]["error"] for body in offline} <= fixed  # a fixed message, never a far end's text


def _statuses(cameras) -> list:
    from identity.selectors import camera_statuses

    return list(camera_statuses(cameras=list(cameras)).values())
