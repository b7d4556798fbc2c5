"""The bridge's loop: connect (backing off while the broker is away), send discovery configs
and retained state, then stream events until the connection goes or the bridge is stopped."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import redis
from django.db import DatabaseError, close_old_connections

from faceapp import metrics
from faceapp.redis_client import redis_client
from integrations.mqtt.config import MqttConfig
from integrations.mqtt.discovery import CAMERA, PERSON, DiscoveryBook, wanted_entities
from integrations.mqtt.link import Backoff, BrokerLink, LinkError
from integrations.mqtt.state import PresenceBook, RetainedState
from integrations.mqtt.stream import Entry, EventStream
from integrations.mqtt.topics import OFFLINE, ONLINE, Message, Topics
from integrations.mqtt.translate import Translator, ref_id

logger = logging.getLogger(__name__)

DISCOVERY_SECONDS = 10.0  # people and cameras are read again this often (and on an unknown id)
IDLE_SECONDS = 1.0  # longest wait for an event before presence timeouts are checked


class BridgeStatus:
    """The bridge's state for people and other processes: a Redis hash, and the log."""

    def __init__(self, *, client: redis.Redis, key: str, broker: str):
        self.client, self.key, self.broker = client, key, broker

    def starting(self) -> None:
        self.client.hset(self.key, mapping={"state": "starting", "broker": self.broker})

    def connected(self, up: bool, *, error: str = "") -> None:
        fields = {"state": "connected" if up else "disconnected", "since": dt.datetime.now(dt.timezone.utc).isoformat()}
        if error:
            fields["last_error"] = error
        self.client.hset(self.key, mapping=fields)

    def count(self, **counts: int) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for name, value in counts.items():
                if value:
                    pipe.hincrby(self.key, name, value)
                    metrics.count("faceapp_mqtt_events_total", value, outcome=name)  # /metrics too
            pipe.execute()


def read_status(*, config: MqttConfig, client: redis.Redis | None = None) -> dict:
    """{"state", "broker" (credentials redacted), "published", "dropped", "skipped", "since", "last_error"}."""
    raw = (client or redis_client()).hgetall(f"{config.redis_namespace}:status")
    status = {k.decode(): v.decode() for k, v in raw.items()}
    for name in ("published", "dropped", "skipped"):
        status[name] = int(status.get(name, 0))
    return status


class Bridge:
    def __init__(self, *, config: MqttConfig, client: redis.Redis | None = None, backoff: Backoff | None = None,
                 discovery_seconds: float = DISCOVERY_SECONDS):  # fmt: skip
        self.config, self.client = config, client or redis_client()
        self.backoff = backoff or Backoff()
        self.discovery_seconds = discovery_seconds
        self.topics = Topics(prefix=config.prefix, discovery_prefix=config.discovery_prefix)
        self.stream = EventStream(client=self.client, group=config.redis_namespace)
        self.link = BrokerLink(
            config=config, will=self._availability(OFFLINE), on_message=self._on_message,
            subscriptions=(self.topics.ha_status,) if config.discovery_prefix else (),
        )  # fmt: skip
        self.status = BridgeStatus(client=self.client, key=f"{config.redis_namespace}:status", broker=config.shown)
        self._resync = threading.Event()  # Home Assistant came back: send it every config again
        self._next_discovery = 0.0

    def _availability(self, payload: str) -> Message:
        return Message(topic=self.topics.availability, payload=payload, retain=True)

    def _prepare(self) -> None:
        namespace = self.config.redis_namespace
        self.status.starting()
        self.state = RetainedState(client=self.client, key=f"{namespace}:retained")
        self.presence = PresenceBook(client=self.client, key=f"{namespace}:presence", timeout=self.config.presence_timeout)
        self.discovery = DiscoveryBook(client=self.client, key=f"{namespace}:discovery")
        self.translator = Translator(topics=self.topics, state=self.state, presence=self.presence)
        self.stream.ensure_group()

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set; never gives up on the broker or on Redis."""
        prepared = False
        while not stop.is_set():
            try:
                if not prepared:
                    self._prepare()
                    prepared = True
                self._connect_and_serve(stop)
            except (LinkError, redis.RedisError) as error:
                self._back_off(stop, error=str(error))
            except Exception as error:  # a bug must not stop the stack (runstack stops it all if this exits)
                logger.exception("mqtt bridge: unexpected error")
                self._back_off(stop, error=f"unexpected error: {error!r}")

    def _back_off(self, stop: threading.Event, *, error: str) -> None:
        delay = self.backoff.next()
        logger.warning("mqtt bridge: %s; trying again in %.1f s", error, delay)
        self._report_down(error=error)
        stop.wait(delay)

    def _report_down(self, *, error: str) -> None:
        try:
            self.status.connected(False, error=error)
        except redis.RedisError:
            pass  # Redis is what is away: the log says it

    def _connect_and_serve(self, stop: threading.Event) -> None:
        self.link.open()
        logger.info("mqtt bridge: connected to %s, prefix %r", self.config.shown, self.config.prefix)
        try:
            self._on_connected()
            self.backoff.reset()
            while not stop.is_set() and self.link.up:
                self._step()
        finally:
            self.link.close(farewell=self._availability(OFFLINE))  # a clean disconnect sends no last will
        if not stop.is_set():
            raise LinkError(f"lost the connection to {self.config.shown}")

    def _on_connected(self) -> None:
        # Configs and state first, "online" after them: Home Assistant shows nothing half-made.
        self._sync_discovery(full=True)
        self.link.send(self.state.messages())
        self.link.send([self._availability(ONLINE)])
        self._send_pending()
        self.status.connected(True)

    def _step(self) -> None:
        if self._resync.is_set():
            self._resync.clear()
            self._sync_discovery(full=True)
        elif time.monotonic() >= self._next_discovery:
            self._sync_discovery(full=False)
        expired = self.translator.expired(now=time.time())
        if expired:
            self.link.send(expired)
        batch = self.stream.next_batch()
        if batch.dropped:
            self.status.count(dropped=batch.dropped)
            logger.warning("mqtt bridge: %d events were trimmed from the stream before they could be sent "
                           "(FACEAPP_EVENTS_STREAM_MAX)", batch.dropped)  # fmt: skip
        if batch.entries:
            self._send_entries(batch.entries)
        else:
            self.stream.wait(seconds=self._idle_seconds())

    def _idle_seconds(self) -> float:
        due = self.presence.next_due()
        until_due = IDLE_SECONDS if due is None else due - time.time()
        return max(0.001, min(IDLE_SECONDS, until_due, self._next_discovery - time.monotonic()))

    def _send_pending(self) -> None:
        """What this bridge took before and never acknowledged (it stopped, or the broker went)."""
        after = "0-0"
        while self.link.up and (entries := self.stream.pending(after=after)):
            self._send_entries(entries)
            after = entries[-1].id

    def _send_entries(self, entries: list[Entry]) -> None:
        """Publish what the entries make; acknowledge them once the broker confirmed it all."""
        messages, published, gone, skipped = [], 0, 0, 0
        for entry in entries:
            if entry.event is None:
                gone, skipped = gone + (not entry.raw), skipped + bool(entry.raw)
                continue
            made = self.translator.messages(event=entry.event, raw=entry.raw)
            messages += made
            published, skipped = published + bool(made), skipped + (not made)
            self._notice_unknown(entry.event)
        if not self.link.send(messages):
            metrics.count("faceapp_mqtt_events_total", len(entries), outcome="unsent")
            self.link.close()  # not acknowledged: sent again from the stream on the next connection
            return
        self.stream.ack([entry.id for entry in entries])
        self.status.count(published=published, dropped=gone, skipped=skipped)
        if skipped:
            logger.warning("mqtt bridge: skipped %d stream entries that are not events", skipped)

    def _notice_unknown(self, event: dict) -> None:
        # A person or camera the configs do not know yet (just enrolled, just added): read them soon.
        person_id, camera_id = ref_id(event.get("person")), ref_id(event.get("camera"))
        if (person_id is not None and not self.discovery.knows(kind=PERSON, id=person_id)) or (
            camera_id is not None and not self.discovery.knows(kind=CAMERA, id=camera_id)
        ):
            self._next_discovery = min(self._next_discovery, time.monotonic() + 1.0)

    def _sync_discovery(self, *, full: bool) -> None:
        self._next_discovery = time.monotonic() + self.discovery_seconds
        try:
            wanted = wanted_entities(topics=self.topics)
        except DatabaseError as error:
            logger.warning("mqtt bridge: cannot read people and cameras (%s); trying again", error)
            return
        finally:
            close_old_connections()  # a long-lived process: never keep a connection the database dropped
        changes = self.discovery.changes(wanted, full=full)
        cleared = [self.state.clear(topic) for entity in changes.removed for topic in entity.state_topics]
        for entity in changes.removed:
            if entity.kind == PERSON:
                self.presence.forget(entity.id)
        if self.link.send(changes.messages + cleared):
            self.discovery.commit(wanted)

    def _on_message(self, topic: str, payload: bytes) -> None:
        if topic == self.topics.ha_status and payload.strip() == b"online":
            self._resync.set()
