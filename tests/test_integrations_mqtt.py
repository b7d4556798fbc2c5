"""The MQTT bridge against real brokers: the shared Mosquitto on 127.0.0.1:1883 (a unique topic
prefix per test), and a Mosquitto of the test's own on a free port where the broker must stop,
restart or speak TLS. Events enter the way the publisher writes them: XADD to `faceapp:events`."""

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from attendance.register import register_due
from faceapp.redis_client import redis_client
from identity.models import Camera, Person
from identity.services import frames
from integrations.events import event_publish
from integrations.mqtt.bridge import Bridge, read_status
from integrations.mqtt.config import mqtt_config
from integrations.mqtt.link import Backoff
from integrations.mqtt.state import PresenceBook, RetainedState
from integrations.mqtt.stream import EVENTS_STREAM
from integrations.mqtt.topics import Message, Topics
from integrations.mqtt.translate import Translator
from tests import live_data
from tests.attendance_data import FRIDAY, at, morning_class
from tests.metrics_read import counted
from tests.mqtt_brokers import MOSQUITTO, SHARED_PORT, Observer, OwnBroker, broker_answers, retained_message
from tests.streams import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)  # the bridge reads people and cameras in its own thread


@pytest.fixture
def shared_broker() -> int:
    if not broker_answers(SHARED_PORT):
        pytest.skip(f"no MQTT broker answers on 127.0.0.1:{SHARED_PORT} (.ci/run starts Debian's mosquitto)")
    return SHARED_PORT


@pytest.fixture
def own_broker(tmp_path):
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.skip("Debian's mosquitto is not installed (.ci/run installs it)")
    broker = OwnBroker(tmp_path)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def configure(settings):
    """configure(port=..., **settings) -> the bridge's MqttConfig, with a prefix no other test uses."""

    def make(*, port: int, url: str = "", **overrides):
        prefix = f"fa-test-{uuid.uuid4().hex[:10]}"
        settings.FACEAPP_MQTT_URL = url or f"mqtt://127.0.0.1:{port}"
        settings.FACEAPP_MQTT_PREFIX = prefix
        settings.FACEAPP_MQTT_DISCOVERY_PREFIX = f"{prefix}-ha"
        settings.FACEAPP_MQTT_CLIENT_ID = f"{prefix}-bridge"
        for name, value in overrides.items():
            setattr(settings, f"FACEAPP_MQTT_{name.upper()}", value)
        return mqtt_config()

    return make


@contextlib.contextmanager
def running(config, *, port: int, discovery_seconds: float = 10.0):
    """The bridge in a thread until the block ends; the retained topics it left are removed after."""
    bridge, stop = Bridge(config=config, backoff=Backoff(first=0.2, most=1.0), discovery_seconds=discovery_seconds), threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: read_status(config=config).get("state") == "connected", "the bridge connected")
        yield bridge
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive(), "the bridge did not stop"
        if port != SHARED_PORT:
            return  # a test's own broker goes with its test
        topics = {bridge.topics.availability, *bridge.state.values}
        _clear_retained(topics | {t for entity in bridge.discovery.published.values() for t in entity.configs}, port=port)


def _clear_retained(topics: set[str], *, port: int) -> None:
    """Leave the shared broker as it was: an empty retained message removes one."""
    with contextlib.suppress(OSError):
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        client.connect("127.0.0.1", port)
        client.loop_start()
        for info in [client.publish(topic, "", qos=1, retain=True) for topic in topics]:
            info.wait_for_publish(10)
        client.disconnect()
        client.loop_stop()


def _event(type: str, **fields) -> dict:
    """An event as the contract describes it (integrations/presenters.py writes the same shape)."""
    event = {"id": str(uuid.uuid4()), "type": type, "time": dt.datetime.now(dt.timezone.utc).astimezone().isoformat(),
             "camera": None, "person": None, "provisional": None, "score": None, "visit_id": None, "data": {}}  # fmt: skip
    event.update(fields)
    return event


def _xadd(event: dict, *, maxlen: int | None = None) -> dict:
    exact = maxlen is not None  # a test's own bound is exact, so that what it trims is known
    redis_client().xadd(EVENTS_STREAM, {"type": event["type"], "event": json.dumps(event)},
                        maxlen=maxlen or settings.FACEAPP_EVENTS_STREAM_MAX, approximate=not exact)  # fmt: skip
    return event


PERSON = {"id": 41, "name": "Ada", "code": "A-1"}
CAMERA = {"id": 7, "name": "Front door"}


def test_it_publishes_an_event_and_the_retained_presence_it_makes(shared_broker, configure):
    config = configure(port=shared_broker)
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/#"])
    with running(config, port=shared_broker):
        event = _xadd(_event("visit.opened", person=PERSON, camera=CAMERA, visit_id=900, score=0.71))
        assert json.loads(observer.wait_for(f"{config.prefix}/events/visit.opened")) == event
        observer.wait_for(f"{config.prefix}/person/41/present", "on")
        assert retained_message(port=shared_broker, topic=f"{config.prefix}/person/41/present") == ("on", True)
    observer.close()


def test_it_publishes_a_visit_a_real_live_worker_decided_and_the_retained_presence(
    shared_broker, configure, worker_enrolled_aaron, live_worker, media_root, settings
):
    settings.FACEAPP_TRACK_TIMEOUT_SECONDS = 1.0
    config = configure(port=shared_broker)
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/#"])
    with running(config, port=shared_broker):
        for index in range(30):  # Aaron walks past, then nobody: the track ends
            frames.frame_put(camera_id=camera.pk, jpeg=live_data.scene_jpeg("lfw_person_a_2.jpg" if index < 20 else None, x=150 + 2 * index))
            time.sleep(0.2)  # a camera's pace, 5 frames a second
        named = json.loads(observer.wait_for(f"{config.prefix}/events/visit.named"))
        observer.wait_for(f"{config.prefix}/events/visit.ended")
        present = retained_message(port=shared_broker, topic=f"{config.prefix}/person/{worker_enrolled_aaron.pk}/present")
    observer.close()
    assert (named["person"]["id"], named["camera"]["id"], named["person"]["code"]) == (worker_enrolled_aaron.pk, camera.pk, "AP")
    assert present == ("on", True)  # ended, but within FACEAPP_MQTT_PRESENCE_TIMEOUT_SECONDS


def test_it_turns_presence_off_once_the_visit_ended_and_the_timeout_passed(shared_broker, configure):
    config = configure(port=shared_broker, presence_timeout_seconds=0.0)
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/person/#"])
    with running(config, port=shared_broker):
        _xadd(_event("visit.opened", person=PERSON, visit_id=901))
        _xadd(_event("visit.ended", person=PERSON, visit_id=901))
        observer.wait_for(f"{config.prefix}/person/41/present", "off")
        assert observer.payloads(f"{config.prefix}/person/41/present") == ["on", "off"]
    observer.close()


def test_it_keeps_a_person_present_until_their_last_open_visit_ended(redis_server):
    book = PresenceBook(client=redis_client(), key=f"test:presence:{uuid.uuid4().hex}", timeout=300)
    book.seen(person_id=1, visit_id=10, at=1000.0)
    book.seen(person_id=1, visit_id=11, at=1001.0)
    book.ended(person_id=1, visit_id=10, at=1002.0)
    assert book.due(now=10_000.0) == []
    book.ended(person_id=1, visit_id=11, at=1003.0)
    assert book.due(now=1302.0) == []
    assert book.due(now=1303.0) == [1]


def test_it_lets_a_visit_renamed_to_someone_else_leave_its_first_person(redis_server):
    book = PresenceBook(client=redis_client(), key=f"test:presence:{uuid.uuid4().hex}", timeout=0)
    book.seen(person_id=1, visit_id=10, at=1000.0)
    book.seen(person_id=2, visit_id=10, at=1001.0)
    assert book.due(now=1001.0) == [1]


def test_it_counts_a_face_of_an_uploaded_photo_as_a_sighting_that_ends_by_itself(redis_server):
    namespace, topics = f"test:{uuid.uuid4().hex}", Topics(prefix="faceapp", discovery_prefix="")
    translator = Translator(topics=topics, state=RetainedState(client=redis_client(), key=f"{namespace}:retained"),
                            presence=PresenceBook(client=redis_client(), key=f"{namespace}:presence", timeout=0))  # fmt: skip
    photo_face = _event("visit.named", person=PERSON, visit_id=905, data={"snapshot_id": 3, "frame_count": 1})
    assert Message("faceapp/person/41/present", "on", retain=True) in translator.messages(event=photo_face, raw="{}")
    assert translator.expired(now=time.time()) == [Message("faceapp/person/41/present", "off", retain=True)]


def test_it_publishes_a_cameras_last_seen_and_state_retained(shared_broker, configure):
    config = configure(port=shared_broker)
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/camera/#"])
    with running(config, port=shared_broker):
        seen = _xadd(_event("stranger.seen", camera=CAMERA, provisional="U-0042"))
        _xadd(_event("camera.offline", camera=CAMERA))
        observer.wait_for(f"{config.prefix}/camera/7/state", "offline")
        last_seen, retained = retained_message(port=shared_broker, topic=f"{config.prefix}/camera/7/last_seen")
        assert retained and dt.datetime.fromisoformat(last_seen) == dt.datetime.fromisoformat(seen["time"])
    observer.close()


# What Home Assistant's MQTT discovery documents (integrations/mqtt, binary_sensor.mqtt, sensor.mqtt).
HA_DEVICE_CLASSES = {
    "binary_sensor": {"connectivity", "motion", "occupancy", "presence", "problem", "running"},
    "sensor": {"timestamp", "date", "duration", "enum"},
}
HA_REQUIRED = ("name", "unique_id", "state_topic", "device_class", "availability_topic", "device")


def _ha_config_problems(topic: str, config: dict, *, discovery_prefix: str) -> list[str]:
    """[] when `config` on `topic` is a valid discovery config for an entity with a device."""
    parts = topic.split("/")
    problems = [f"missing {key}" for key in HA_REQUIRED if key not in config]
    if len(parts) != 4 or parts[0] != discovery_prefix or parts[3] != "config" or parts[1] not in HA_DEVICE_CLASSES:
        problems.append(f"not <discovery_prefix>/<component>/<object_id>/config: {topic}")
    elif config.get("device_class") not in HA_DEVICE_CLASSES[parts[1]]:
        problems.append(f"device_class {config.get('device_class')!r} is not one of {parts[1]}'s")
    for key in ("state_topic", "availability_topic"):
        if any(c in str(config.get(key, "")) for c in "+#") or not config.get(key):
            problems.append(f"{key} must be a topic without wildcards")
    device = config.get("device") or {}
    if not (device.get("identifiers") or device.get("connections")):
        problems.append("device needs identifiers or connections")
    if parts[1] == "binary_sensor" and not (isinstance(config.get("payload_on"), str) and isinstance(config.get("payload_off"), str)):
        problems.append("binary_sensor needs payload_on and payload_off")
    return problems


def test_it_announces_people_and_cameras_with_valid_home_assistant_discovery(shared_broker, configure):
    config = configure(port=shared_broker)
    ada = Person.objects.create(name="Ada", code="A-1")
    Person.objects.create(name="Gone", active=False)
    door = Camera.objects.create(name="Front door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/door")
    Camera.objects.create(name="Desk")  # a browser camera: no reader, so no "Online" sensor
    disc = config.discovery_prefix
    observer = Observer(port=shared_broker, topics=[f"{disc}/#", f"{config.prefix}/bridge/#"])
    with running(config, port=shared_broker):
        configs = {
            "person": json.loads(observer.wait_for(f"{disc}/binary_sensor/{config.prefix}_person_{ada.pk}/config")),
            "last_seen": json.loads(observer.wait_for(f"{disc}/sensor/{config.prefix}_camera_{door.pk}/config")),
            "online": json.loads(observer.wait_for(f"{disc}/binary_sensor/{config.prefix}_camera_{door.pk}_state/config")),
        }
        observer.wait_for(f"{config.prefix}/bridge/availability", "online")
    observer.close()
    topics = {topic for topic, _, _ in observer.messages if topic.startswith(disc)}
    assert len(topics) == 4, topics  # the inactive person is not announced
    for topic in topics:
        assert _ha_config_problems(topic, json.loads(observer.payloads(topic)[0]), discovery_prefix=disc) == [], topic
    assert configs["person"]["device_class"] == "presence"
    assert configs["person"]["state_topic"] == f"{config.prefix}/person/{ada.pk}/present"
    assert configs["last_seen"]["state_topic"] == f"{config.prefix}/camera/{door.pk}/last_seen"
    assert configs["online"]["state_topic"] == f"{config.prefix}/camera/{door.pk}/state"
    assert len({c["unique_id"] for c in configs.values()}) == 3
    assert {c["availability_topic"] for c in configs.values()} == {f"{config.prefix}/bridge/availability"}


def test_it_removes_the_discovery_config_and_state_of_a_deactivated_person(shared_broker, configure):
    config = configure(port=shared_broker)
    ada = Person.objects.create(name="Ada")
    topic = f"{config.discovery_prefix}/binary_sensor/{config.prefix}_person_{ada.pk}/config"
    observer = Observer(port=shared_broker, topics=[topic, f"{config.prefix}/person/#"])
    with running(config, port=shared_broker, discovery_seconds=0.2):
        observer.wait_for(topic)
        _xadd(_event("visit.opened", person={"id": ada.pk, "name": "Ada", "code": None}, visit_id=902))
        observer.wait_for(f"{config.prefix}/person/{ada.pk}/present", "on")
        Person.objects.filter(pk=ada.pk).update(active=False)
        observer.wait_for(topic, "")
        observer.wait_for(f"{config.prefix}/person/{ada.pk}/present", "")
    observer.close()


def _wait_disconnected(config) -> None:
    wait_until(lambda: read_status(config=config).get("state") == "disconnected", "the bridge to notice the broker left")


def test_it_loses_no_event_while_its_broker_is_stopped_and_restarted(own_broker, configure):
    config = configure(port=own_broker.port)
    observer = Observer(port=own_broker.port, topics=[f"{config.prefix}/events/#"], persistent=True)
    with running(config, port=own_broker.port):
        before = _xadd(_event("test"))
        wait_until(lambda: before["id"] in observer.event_ids(config.prefix), "the first event")
        own_broker.stop()
        _wait_disconnected(config)
        during = [_xadd(_event("visit.opened", person=PERSON, visit_id=910 + n)) for n in range(5)]
        own_broker.start()
        wait_until(lambda: {e["id"] for e in during} <= set(observer.event_ids(config.prefix)), "the queued events")
        assert read_status(config=config)["dropped"] == 0
    observer.close()
    assert observer.event_ids(config.prefix)[-5:] == [e["id"] for e in during]  # in order


def test_it_counts_events_trimmed_from_the_stream_before_delivery_as_dropped(own_broker, configure):
    config = configure(port=own_broker.port)
    before = {o: counted("faceapp_mqtt_events_total", outcome=o) for o in ("published", "dropped")}
    observer = Observer(port=own_broker.port, topics=[f"{config.prefix}/events/#"], persistent=True)
    with running(config, port=own_broker.port):
        own_broker.stop()
        _wait_disconnected(config)
        events = [_xadd(_event("test", data={"n": n}), maxlen=5) for n in range(8)]  # the stream keeps 5 of 8
        own_broker.start()
        wait_until(lambda: {e["id"] for e in events[3:]} <= set(observer.event_ids(config.prefix)), "the kept events")
        status = read_status(config=config)
    observer.close()
    assert status["dropped"] == 3
    assert observer.event_ids(config.prefix) == [e["id"] for e in events[3:]]
    # /metrics counts them too (faceapp_mqtt_events_total), with the 5 published.
    assert counted("faceapp_mqtt_events_total", outcome="dropped") - before["dropped"] == 3
    assert counted("faceapp_mqtt_events_total", outcome="published") - before["published"] == 5


def test_it_sends_after_a_restart_what_arrived_while_it_was_stopped(shared_broker, configure):
    config = configure(port=shared_broker)
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/events/#"])
    with running(config, port=shared_broker):
        first = _xadd(_event("test"))
        wait_until(lambda: first["id"] in observer.event_ids(config.prefix), "the first event")
    while_stopped = _xadd(_event("test"))
    with running(config, port=shared_broker):
        wait_until(lambda: while_stopped["id"] in observer.event_ids(config.prefix), "the event sent while stopped")
    observer.close()
    assert observer.event_ids(config.prefix) == [first["id"], while_stopped["id"]]


def test_it_publishes_what_the_event_publisher_writes(shared_broker, configure):
    config = configure(port=shared_broker)
    ada, door = Person.objects.create(name="Ada", code="A-1"), Camera.objects.create(name="Front door")
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/#"])
    with running(config, port=shared_broker):
        event = event_publish(type="visit.named", occurred_at=timezone.now(), camera=door, person=ada,
                                     score=0.8, visit_id=920)  # fmt: skip
        payload = json.loads(observer.wait_for(f"{config.prefix}/events/visit.named"))
        observer.wait_for(f"{config.prefix}/person/{ada.pk}/present", "on")
    observer.close()
    assert (payload["id"], payload["person"]["id"], payload["camera"]["id"]) == (str(event.id), ada.pk, door.pk)


def test_it_reads_tls_credentials_and_port_from_the_broker_url(configure):
    config = configure(port=0, url="mqtts://ada:p%40ss@broker.example:8884", tls_ca="/etc/faceapp/ca.pem")
    assert (config.tls, config.host, config.port, config.username, config.password, config.tls_ca) == (
        True, "broker.example", 8884, "ada", "p@ss", "/etc/faceapp/ca.pem")  # fmt: skip
    assert configure(port=0, url="mqtts://broker.example").port == 8883
    assert "p@ss" not in repr(config) and "p%40ss" not in repr(config)


def test_it_never_logs_or_shows_the_brokers_password(configure, caplog):
    # An in-thread Celery worker of an earlier test may have left the root logger above INFO.
    caplog.set_level(logging.INFO, logger="integrations.mqtt")
    port = free_port()  # nothing answers there: the bridge retries and says why
    config = configure(port=port, url=f"mqtt://ada:s3cr3t-pw@127.0.0.1:{port}")
    bridge, stop = Bridge(config=config, backoff=Backoff(first=0.05, most=0.05)), threading.Event()
    thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
    thread.start()
    wait_until(lambda: read_status(config=config).get("last_error"), "the bridge's connection error")
    stop.set()
    thread.join(30)
    status = read_status(config=config)
    assert status["broker"] == f"mqtt://127.0.0.1:{port}"
    assert "s3cr3t" not in json.dumps(status) and "s3cr3t" not in caplog.text
    assert "trying again" in caplog.text


def test_it_publishes_over_tls_to_a_broker_it_verifies_with_the_configured_ca(tmp_path, configure):
    if not shutil.which("openssl") or not os.access(MOSQUITTO, os.X_OK):
        pytest.skip("needs openssl and Debian's mosquitto")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)  # fmt: skip
    broker = OwnBroker(tmp_path, tls=(cert, key))
    broker.start()
    try:
        config = configure(port=broker.port, url=f"mqtts://127.0.0.1:{broker.port}", tls_ca=str(cert))
        observer = Observer(port=broker.port, topics=[f"{config.prefix}/events/#"], tls_ca=str(cert))
        with running(config, port=broker.port):
            event = _xadd(_event("test"))
            wait_until(lambda: event["id"] in observer.event_ids(config.prefix), "the event over TLS")
        observer.close()
    finally:
        broker.stop()


def _database_url() -> str:
    """The test database, for a bridge in another process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _bridge_env(config, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(FACEAPP_MQTT_URL=config.url, FACEAPP_MQTT_PREFIX=config.prefix, FACEAPP_MQTT_CLIENT_ID=config.client_id,
               FACEAPP_MQTT_DISCOVERY_PREFIX=config.discovery_prefix, **extra)  # fmt: skip
    return env


def test_it_runs_as_a_command_whose_last_will_says_offline_when_it_is_killed(shared_broker, configure, tmp_path):
    config = configure(port=shared_broker)
    availability = f"{config.prefix}/bridge/availability"
    observer = Observer(port=shared_broker, topics=[availability])
    env = _bridge_env(config, FACEAPP_DATA_DIR=str(tmp_path), REDIS_URL=settings.REDIS_URL, DATABASE_URL=_database_url())
    with (tmp_path / "bridge.log").open("w") as log:
        process = subprocess.Popen([sys.executable, "manage.py", "mqttbridge"], cwd=settings.BASE_DIR, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            observer.wait_for(availability, "online")
            process.kill()  # no farewell: the broker sends the last will
            process.wait(30)
            observer.wait_for(availability, "offline")
        finally:
            process.kill()
            process.wait(30)
            observer.close()
            _clear_retained({availability}, port=shared_broker)


@pytest.mark.skipif(not settings.EMBEDDED_VALKEY, reason="runstack's own Valkey is tested on the embedded default")
def test_it_is_started_by_runstack_when_a_broker_is_set_and_says_offline_when_stopped(shared_broker, configure, tmp_path):
    config = configure(port=shared_broker)
    availability = f"{config.prefix}/bridge/availability"
    observer = Observer(port=shared_broker, topics=[availability])
    env = _bridge_env(config, FACEAPP_DATA_DIR=str(tmp_path / "data"), FACEAPP_ADMIN_PASSWORD="first-admin-pw")
    with (tmp_path / "runstack.log").open("w") as log:
        stack = subprocess.Popen([sys.executable, "manage.py", "runstack", "--no-worker", "--port", str(free_port())],
                                 cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            observer.wait_for(availability, "online")
            stack.send_signal(signal.SIGINT)
            assert stack.wait(60) == 0, (tmp_path / "runstack.log").read_text()
            observer.wait_for(availability, "offline")
        finally:
            stack.kill()
            stack.wait(30)
            observer.close()
            _clear_retained({availability}, port=shared_broker)


def test_it_publishes_the_registers_attendance_absent(shared_broker, configure, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    config = configure(port=shared_broker)
    ada = Person.objects.create(name="Ada", code="A-1", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    morning_class(members=[ada])
    observer = Observer(port=shared_broker, topics=[f"{config.prefix}/#"])
    with running(config, port=shared_broker):
        register_due(now=at(FRIDAY, 8, 31))  # the scheduler: absent once 08:30 passed
        payload = json.loads(observer.wait_for(f"{config.prefix}/events/attendance.absent"))
    observer.close()
    assert (payload["person"]["id"], payload["data"]["group"]["name"], payload["data"]["day"]) == (
        ada.pk, "4B", "2026-10-23")
