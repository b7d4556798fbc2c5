"""Camera sources read what the far end sends, and the far end may be hostile or no camera at all
(issue 25: decode bomb, a source that never finishes, 500s on test connection, probes of local
services). Real servers on 127.0.0.1 (tests/foreign_servers.py), a real Celery worker behind the
test page, the real readers' supervisor, a real dashboard socket. Every answer is one of the fixed
messages; no banner reaches a page, the camera status, the dashboard, an event or a log line."""

import base64
import html
import json
import logging
import re
import subprocess
import sys
import threading
from urllib.parse import quote

import pytest
from django.conf import settings
from django.urls import reverse

from identity.live.sources import CameraReader, SourceConfig, SourceError, grab_frame
from identity.models import Camera
from identity.services import frames
from identity.services.readers import ReaderSupervisor
from identity.vision.image import DEFAULT_MAX_DECODED_BYTES
from integrations.models import Event
from integrations.presenters import event_json
from tests import faces_data, foreign_servers, live_data
from tests.event_loops import run_scenario
from tests.test_consumers import _communicator
from tests.waiting import wait_until

DEADLINE = 3  # test connection's whole deadline here (FACEAPP_CAMERA_TEST_SECONDS)
NOT_CAMERA = ("something answers at that address and port, but it is not a camera: check the port and the "
              "kind of camera chosen")
REFUSED = "nothing answers at that address and port: check the address and the port, and that the camera is switched on"
TOO_LARGE = "the camera's picture is too large to read"
TIMED_OUT = f"the camera did not answer within {DEADLINE} s: check that it is switched on and connected"
AUTH = "the camera refused the user name or password: check them in the URL"
FIXED = {NOT_CAMERA, REFUSED, TOO_LARGE, TIMED_OUT, AUTH,
         "this is not a camera address: check the URL (for example rtsp://user:password@192.168.1.20/stream)",
         "the camera sent something that is not a picture: check that the URL gives a snapshot (JPEG)",
         "the stream stopped sending pictures",
         "the camera cannot be reached: check the address (its name or IP) and that it is connected"}
SCHEMES = {"snapshot": "http", "mjpeg": "http", "rtsp": "rtsp"}
SERVERS = {"NATS": foreign_servers.nats_like, "Redis": foreign_servers.redis_like,
           "PostgreSQL": foreign_servers.postgres_like}
SECRET = foreign_servers.SECRET.decode()
BOMB_SIDE = 16000

READ_PEAK = """
import json, resource, sys, time
from identity.live.sources import CameraReader, SourceConfig, SourceError, grab_frame
config = SourceConfig(kind=sys.argv[2], url=sys.argv[1], timeout=60, poll_seconds=0.2)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    test = "a frame of %s" % (grab_frame(config).shape,)
except SourceError as error:
    test = str(error)
reader = CameraReader(config, on_frame=lambda frame: None, backoff_initial=0.2)
reader.start()
give_up = time.monotonic() + 120
while reader.status.state == "starting" and time.monotonic() < give_up:
    time.sleep(0.05)
status = reader.status
reader.stop()
reader.join(30)
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"grew_kib": grew, "test": test, "reader": [status.state, status.error]}))
"""

MAKE_BOMB = f"""
import sys
from PIL import Image
Image.new("L", ({BOMB_SIDE}, {BOMB_SIDE}), 128).save(sys.argv[1], "JPEG", quality=5)
"""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> bytes:
    """A 3 MB JPEG of 16000x16000 (768 MB as BGR), made once in a process of its own."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.jpg"
    subprocess.run([sys.executable, "-c", MAKE_BOMB, str(path)], check=True, timeout=120)
    return path.read_bytes()


def _grab_error(kind: str, url: str) -> str:
    with pytest.raises(SourceError) as error:
        grab_frame(SourceConfig(kind=kind, url=url, timeout=DEADLINE))
    return str(error.value)


def _test_page(client, camera: Camera) -> str:
    response = client.post(reverse("camera-test", args=[camera.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _test_error(body: str) -> str:
    found = re.search(r"<p class=\"errorlist\" data-test-error>Connection failed: (.*?)</p>", body, re.DOTALL)
    assert found, "the page shows no failed test"
    return html.unescape(found.group(1))


@pytest.fixture
def test_deadline(settings):
    settings.FACEAPP_CAMERA_TEST_SECONDS = DEADLINE
    settings.FACEAPP_RATE_COMPARE_PER_MINUTE = 0  # not counted: no test after these finds the user's jobs spent


# -- services that are not cameras, a closed port, odd URLs: fixed messages, no banner -------------


@pytest.mark.parametrize("kind", sorted(SCHEMES))
@pytest.mark.parametrize("service", sorted(SERVERS))
def test_it_answers_a_service_that_is_not_a_camera_with_a_fixed_message(service, kind):
    with SERVERS[service]() as server:
        message = _grab_error(kind, server.url(SCHEMES[kind]))

    assert message == NOT_CAMERA and server.connections >= 1


@pytest.mark.parametrize("kind", sorted(SCHEMES))
def test_it_answers_a_real_postgresql_as_not_a_camera(kind):
    port = foreign_servers.postgres_port()
    if port is None:
        pytest.skip("no PostgreSQL listens on 127.0.0.1:5432")
    assert _grab_error(kind, f"{SCHEMES[kind]}://127.0.0.1:{port}/cam") == NOT_CAMERA


@pytest.mark.parametrize("kind", sorted(SCHEMES))
def test_it_answers_a_closed_port_with_connection_refused(kind):
    assert _grab_error(kind, f"{SCHEMES[kind]}://127.0.0.1:{foreign_servers.closed_port()}/cam") == REFUSED


ODD_URLS = {
    "CR/LF in the path": "{scheme}://127.0.0.1:{port}/x\r\nSET key value\r\n",
    "basic auth, no port": "{scheme}://admin:pa ss'w\"rd@127.0.0.1/cam",
    "a port that is not a number": "{scheme}://admin:hunter2@127.0.0.1:hunter2/cam",
    "an unclosed IPv6 bracket": "{scheme}://[::1/cam",
    "no host": "{scheme}:///cam",
    "a NUL": "{scheme}://127.0.0.1:{port}/x\x00y",
}


@pytest.mark.parametrize("kind", sorted(SCHEMES))
@pytest.mark.parametrize("name", sorted(ODD_URLS))
def test_it_never_raises_anything_but_a_fixed_message_whatever_the_url(name, kind):
    url = ODD_URLS[name].format(scheme=SCHEMES[kind], port=foreign_servers.closed_port())

    message = _grab_error(kind, url)

    assert message in FIXED and "hunter2" not in message and "pa ss" not in message


# -- test connection: in a worker, within its deadline, fixed messages only ---------------------


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
@pytest.mark.parametrize("kind", ["snapshot", "mjpeg", "rtsp"])
def test_it_tests_a_connection_to_a_banner_server_in_a_worker_with_a_fixed_message(
    kind, client, operator_user, celery_worker, test_deadline, caplog
):
    caplog.set_level(logging.DEBUG)
    client.force_login(operator_user)
    with foreign_servers.nats_like() as server:
        camera = Camera.objects.create(name="Gate", kind=kind, source_address=server.url(SCHEMES[kind]))
        body = _test_page(client, camera)

    assert _test_error(body) == NOT_CAMERA
    assert SECRET not in body and SECRET not in caplog.text


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
@pytest.mark.parametrize("name", ["CR/LF in the path", "basic auth, no port"])
def test_it_answers_an_odd_stored_url_with_a_fixed_message_not_a_500(name, client, operator_user, celery_worker,
                                                                      test_deadline):
    url = ODD_URLS[name].format(scheme="http", port=foreign_servers.closed_port())
    camera = Camera.objects.create(name="Gate", kind=Camera.SNAPSHOT, source_address=url)  # as an old row holds it
    client.force_login(operator_user)

    body = _test_page(client, camera)

    # The reader gates the stored address as it opens it: the answer is a fixed message.
    assert _test_error(body) in FIXED


@pytest.fixture
def no_worker(empty_broker):
    """No worker runs; the test's queued job is dropped on the way out."""
    from faceapp.celery import app

    yield
    app.control.purge()


@pytest.mark.django_db
def test_it_leaves_a_connection_test_to_a_worker(client, operator_user, settings, no_worker):
    settings.FACEAPP_COMPARE_WAIT_SECONDS = 0.5  # no worker runs in this test
    settings.FACEAPP_RATE_COMPARE_PER_MINUTE = 0
    camera = Camera.objects.create(name="Gate", kind=Camera.SNAPSHOT,
                                   source_address=f"http://127.0.0.1:{foreign_servers.closed_port()}/snap.jpg")
    client.force_login(operator_user)

    body = _test_page(client, camera)

    assert _test_error(body) == "No worker answered in time: try again in a moment."


# -- the snapshot bomb -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["snapshot", "mjpeg"])
def test_it_refuses_a_decode_bomb_within_the_decoded_bytes_cap(kind, bomb):
    """Test connection's grab and a reader, in a fresh process: its peak RSS stays under the cap."""
    assert len(bomb) < 4 * 2**20  # small on the wire
    served = foreign_servers.FileServer(bomb) if kind == "snapshot" else foreign_servers.FileServer(
        foreign_servers.mjpeg_parts(bomb), content_type="multipart/x-mixed-replace; boundary=frame")
    with served as server:
        answer = subprocess.run([sys.executable, "-c", READ_PEAK, server.url("http", "/cam"), kind],
                                cwd=settings.BASE_DIR, check=True, capture_output=True, text=True, timeout=300).stdout
    measured = json.loads(answer.strip().splitlines()[-1])

    assert measured["grew_kib"] * 1024 < DEFAULT_MAX_DECODED_BYTES, f"+{measured['grew_kib'] // 1024} MiB"
    assert measured["test"] == TOO_LARGE
    assert measured["reader"] == ["reconnecting", TOO_LARGE]


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_says_a_snapshot_bomb_is_too_large_on_the_test_page(bomb, client, operator_user, celery_worker,
                                                               test_deadline):
    client.force_login(operator_user)
    with foreign_servers.FileServer(bomb) as server:
        camera = Camera.objects.create(name="Gate", kind=Camera.SNAPSHOT, source_address=server.url("http", "/snap.jpg"))
        body = _test_page(client, camera)

    assert _test_error(body) == TOO_LARGE and "data-test-frame" not in body


# -- a source that never finishes --------------------------------------------------------------------


def test_it_ends_a_slow_snapshot_at_the_deadline():
    with foreign_servers.SlowServer() as server:
        message = _grab_error("snapshot", server.url("http", "/snap.jpg"))
        closed = server.client_closed.wait(30)

    assert message == TIMED_OUT
    assert closed and not server.gave_up.is_set()  # the client hung up, not the server


def test_it_ends_a_readers_slow_snapshot_at_the_deadline():
    with foreign_servers.SlowServer() as server:
        reader = CameraReader(SourceConfig(kind="snapshot", url=server.url("http", "/snap.jpg"), timeout=DEADLINE),
                              on_frame=lambda frame: None, backoff_initial=30)
        reader.start()
        try:
            status = wait_until(lambda: reader.status if reader.status.state == "reconnecting" else None,
                                "the reader to give the slow source up")
            closed = server.client_closed.wait(30)
        finally:
            reader.stop()
            reader.join(30)

    assert status.error == TIMED_OUT
    assert closed and not server.gave_up.is_set()


@pytest.mark.django_db(transaction=True)  # the worker thread closes the connections it used
def test_it_answers_a_slow_source_through_the_page_within_the_deadline(client, operator_user, celery_worker,
                                                                        test_deadline):
    client.force_login(operator_user)
    with foreign_servers.SlowServer() as server:
        camera = Camera.objects.create(name="Gate", kind=Camera.SNAPSHOT, source_address=server.url("http", "/snap.jpg"))
        body = _test_page(client, camera)
        closed = server.client_closed.wait(30)

    assert _test_error(body) == TIMED_OUT
    assert closed and not server.gave_up.is_set()


# -- the reader's status: cameras page, dashboard socket, camera.offline event, logs ----------------


def _camera_state(event: dict) -> str | None:
    camera = event.get("camera") if event.get("type") == "camera.status" else None
    return camera.get("state") if isinstance(camera, dict) else None


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_banner_out_of_the_camera_status_the_dashboard_the_events_and_the_logs(
    client, operator_user, viewer_user, redis_server, caplog
):
    caplog.set_level(logging.DEBUG)
    stop = threading.Event()
    supervisor = ReaderSupervisor()
    with foreign_servers.TurncoatCamera(faces_data.jpeg(live_data.scene(None), quality=80)) as server:
        camera = Camera.objects.create(name="Gate", kind=Camera.SNAPSHOT, source_address=server.url("http", "/snap.jpg"),
                                       poll_seconds=0.2)
        live_data.live_keys_clear(camera)
        thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
        thread.start()
        try:
            wait_until(lambda: (frames.reader_status(camera_id=camera.pk) or {}).get("state") == "online", "online")
            socket = _communicator("/ws/dashboard/", viewer_user, client)

            async def dashboard() -> list[dict]:
                assert (await socket.connect(timeout=30))[0]
                server.turn()
                seen = []
                while not any(_camera_state(event) == "reconnecting" for event in seen):
                    seen.append(await socket.receive_json_from(timeout=30))
                await socket.disconnect()
                return seen

            pushed = run_scenario(dashboard)
            status = frames.reader_status(camera_id=camera.pk)
            client.force_login(operator_user)
            pages = [client.get(reverse(name, args=args)).content.decode()
                     for name, args in (("camera-list", []), ("camera-view", [camera.pk]))]
            offline = wait_until(lambda: Event.objects.filter(type=Event.CAMERA_OFFLINE, camera=camera).first(),
                                 "the camera.offline event")
        finally:
            stop.set()
            thread.join(30)

    assert status["state"] == "reconnecting" and status["error"] == NOT_CAMERA
    assert all(NOT_CAMERA in page and SECRET not in page for page in pages)
    assert SECRET not in json.dumps(pushed)
    assert NOT_CAMERA in json.dumps(pushed)
    payload = json.dumps(event_json(offline))  # the camera.offline webhook body and MQTT payload
    assert offline.data["error"] == NOT_CAMERA and SECRET not in payload
    assert SECRET not in caplog.text


def test_it_reads_a_snapshot_behind_basic_auth_with_no_port_in_the_url():
    """The credentials of the URL go in an Authorization header; the wrong ones are refused."""
    jpeg = faces_data.jpeg(live_data.scene(None), quality=80)
    expected = "Basic " + base64.b64encode(b"admin:p@ss w:rd").decode()
    with foreign_servers.FileServer(jpeg, authorization=expected) as server:
        good = server.url("http", "/snap.jpg").replace("://", f"://admin:{quote('p@ss w:rd', safe='')}@")
        image = grab_frame(SourceConfig(kind="snapshot", url=good, timeout=DEADLINE))
        refused = _grab_error("snapshot", good.replace("admin:", "admin:wrong"))

    assert image.shape == live_data.scene(None).shape
    assert refused == AUTH
