"""Event -> MQTT message latency of the bridge (`manage.py mqttbridge`), on a real broker.

Two paths, each --count events sent one at a time (the next once the last arrived, so that
the figures are latency, not queueing):

- stream: XADD to `faceapp:events` (what the publisher does last) -> the message on
  `<prefix>/events/test` at a subscriber of the same broker;
- publisher: `integrations.events.event_publish(visit.named)` (the event row, its commit
  work: webhook deliveries queued, alert rules, the dashboard push, the XADD) -> the message.

Both clocks are this process's (time.perf_counter): the bridge runs in a thread here, as
`manage.py mqttbridge` runs it, in a temporary FACEAPP_DATA_DIR of its own (a migrated SQLite
database and the embedded Valkey; DATABASE_URL and REDIS_URL are ignored). The broker must be
running (topics under a random `bench-...` prefix, retained ones removed at the end):

    .venv/bin/python bench/mqtt_latency.py --broker mqtt://127.0.0.1:1883 --count 300
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup(broker: str) -> tuple[str, str]:
    data_dir = tempfile.mkdtemp(prefix="fa-mqttbench-")
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    for name in ("DATABASE_URL", "REDIS_URL"):  # never a real install's database or event stream
        os.environ.pop(name, None)
    os.environ["FACEAPP_DATA_DIR"] = data_dir
    os.environ.update(DJANGO_SETTINGS_MODULE="faceapp.settings", FACEAPP_MQTT_URL=broker, FACEAPP_MQTT_PREFIX=prefix,
                      FACEAPP_MQTT_DISCOVERY_PREFIX="", FACEAPP_MQTT_CLIENT_ID=f"{prefix}-bridge", LOG_LEVEL="WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return data_dir, prefix


class Arrivals:
    """A subscriber that notes when each event id arrives."""

    def __init__(self, *, config, topic: str):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.times: dict[str, float] = {}
        self.arrived = threading.Condition()
        subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(config.host, config.port)
        self.client.loop_start()
        self.client.subscribe(topic, qos=1)
        subscribed.wait(10)

    def _on_message(self, client, userdata, message):
        at = time.perf_counter()
        with self.arrived:
            self.times[json.loads(message.payload)["id"]] = at
            self.arrived.notify_all()

    def wait(self, event_id: str, timeout: float = 30.0) -> float:
        with self.arrived:
            if not self.arrived.wait_for(lambda: event_id in self.times, timeout):
                raise RuntimeError(f"event {event_id} did not arrive within {timeout:g} s")
            return self.times[event_id]


def _measure(send, arrivals: Arrivals, *, count: int) -> list[float]:
    """Milliseconds from send() (which returns the event id) to the message's arrival."""
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        latencies.append((arrivals.wait(send()) - started) * 1000)
    return latencies


def _summary(name: str, latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return f"{name:>10}: n={len(latencies)}  p50 {statistics.median(latencies):.2f} ms  p95 {cuts[94]:.2f} ms  max {max(latencies):.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    data_dir, prefix = _setup(args.broker)

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from faceapp.embedded_valkey import start_valkey

    valkey = start_valkey(settings.VALKEY_SOCKET, persist=False)
    stop, thread = threading.Event(), None
    try:
        call_command("migrate", interactive=False, verbosity=0)
        from faceapp.redis_client import redis_client
        from identity.models import Camera, Person
        from integrations.events import event_publish
        from integrations.mqtt.bridge import Bridge, read_status
        from integrations.mqtt.config import mqtt_config
        from integrations.mqtt.stream import EVENTS_STREAM

        config = mqtt_config()
        bridge = Bridge(config=config)
        thread = threading.Thread(target=bridge.run, args=(stop,), daemon=True)
        thread.start()
        while read_status(config=config).get("state") != "connected":
            time.sleep(0.05)
        arrivals = Arrivals(config=config, topic=f"{prefix}/events/#")
        person, camera = Person.objects.create(name="Bench"), Camera.objects.create(name="Bench door")

        def xadd() -> str:
            event_id = str(uuid.uuid4())
            event = {"id": event_id, "type": "test", "time": timezone.localtime().isoformat(), "camera": None,
                     "person": None, "provisional": None, "score": None, "visit_id": None, "data": {}}
            redis_client().xadd(EVENTS_STREAM, {"type": "test", "event": json.dumps(event)},
                                maxlen=settings.FACEAPP_EVENTS_STREAM_MAX, approximate=True)
            return event_id

        def publish() -> str:
            return str(event_publish(type="visit.named", occurred_at=timezone.now(), camera=camera, person=person,
                                     score=0.8, visit_id=1).id)

        for name, send in (("stream", xadd), ("publisher", publish)):
            _measure(send, arrivals, count=10)  # warm-up: connections, first queries
            print(_summary(name, _measure(send, arrivals, count=args.count)))
        stop.set()
        thread.join(30)
        for topic in {bridge.topics.availability, *bridge.state.values}:  # leave the broker as it was
            arrivals.client.publish(topic, "", qos=1, retain=True).wait_for_publish(5)
        arrivals.client.disconnect()
    finally:
        stop.set()
        if thread is not None:
            thread.join(30)
        valkey.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
