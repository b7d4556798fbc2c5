"""One connection to the MQTT broker at a time (paho-mqtt): publish at QoS 1, wait for the
broker's confirmation, and drop a lost connection whole. paho's own reconnection is off: what a
lost connection had in flight is still pending in the Redis stream and is sent again on the next
one, so the stream is the only queue and it is bounded."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from integrations.mqtt.config import MqttConfig
from integrations.mqtt.topics import Message

logger = logging.getLogger(__name__)

QOS = 1  # at least once: the broker confirms each message (PUBACK) before its entry is acknowledged


class LinkError(Exception):
    """Why the broker could not be reached; never holds credentials."""


class Backoff:
    """Seconds to wait before the next connection attempt: doubling from `first` up to `most`."""

    def __init__(self, *, first: float = 1.0, most: float = 30.0):
        self.first, self.most = first, most
        self.delay = first

    def next(self) -> float:
        delay, self.delay = self.delay, min(self.most, self.delay * 2)
        return delay

    def reset(self) -> None:
        self.delay = self.first


class BrokerLink:
    def __init__(self, *, config: MqttConfig, will: Message, subscriptions: tuple[str, ...] = (),
                 on_message: Callable[[str, bytes], None] | None = None):  # fmt: skip
        self.config, self.will, self.subscriptions, self.on_message = config, will, subscriptions, on_message
        self.client: mqtt.Client | None = None
        self._up = threading.Event()

    @property
    def up(self) -> bool:
        return self._up.is_set()

    def open(self, *, timeout: float = 10.0) -> None:
        """Connect (raises LinkError); the last will says `will` if the bridge vanishes."""
        answered, refused = threading.Event(), []
        client = self._client(answered=answered, refused=refused)
        try:
            client.connect(self.config.host, self.config.port, keepalive=self.config.keepalive)
        except (OSError, ssl.SSLError, ValueError) as error:
            raise LinkError(f"cannot reach {self.config.shown}: {error}") from None
        client.loop_start()
        self.client = client
        if not answered.wait(timeout) or refused:
            self.close()
            raise LinkError(f"{self.config.shown} refused the connection: {refused[0]}" if refused
                            else f"{self.config.shown} did not answer within {timeout:g} s")  # fmt: skip
        for topic in self.subscriptions:
            client.subscribe(topic, qos=QOS)

    def _client(self, *, answered: threading.Event, refused: list) -> mqtt.Client:
        config = self.config
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=config.client_id, protocol=mqtt.MQTTv311,
                             clean_session=True, reconnect_on_failure=False)  # fmt: skip
        if config.username is not None:
            client.username_pw_set(config.username, config.password)
        if config.tls:
            try:
                client.tls_set(ca_certs=config.tls_ca or None)
            except (OSError, ssl.SSLError) as error:
                raise LinkError(f"FACEAPP_MQTT_TLS_CA {config.tls_ca!r}: {error}") from None
        client.will_set(self.will.topic, self.will.payload, qos=QOS, retain=self.will.retain)

        def on_connect(client, userdata, flags, reason_code, properties):
            if reason_code.is_failure:
                refused.append(str(reason_code))
            else:
                self._up.set()
            answered.set()

        def on_disconnect(client, userdata, flags, reason_code, properties):
            self._up.clear()

        def on_message(client, userdata, message):
            if self.on_message is not None:
                self.on_message(message.topic, message.payload)

        client.on_connect, client.on_disconnect, client.on_message = on_connect, on_disconnect, on_message
        return client

    def publish(self, message: Message) -> mqtt.MQTTMessageInfo:
        return self.client.publish(message.topic, message.payload, qos=QOS, retain=message.retain)

    def confirm(self, infos: list[mqtt.MQTTMessageInfo], *, timeout: float = 30.0) -> bool:
        """True once the broker confirmed every one; False if the connection went first."""
        deadline = time.monotonic() + timeout
        try:
            for info in infos:
                while not info.is_published():
                    if not self.up or time.monotonic() > deadline:
                        return False
                    info.wait_for_publish(0.05)
        except (RuntimeError, ValueError):  # published while the connection was going: not sent
            return False
        return True

    def send(self, messages: list[Message], *, timeout: float = 30.0) -> bool:
        return self.confirm([self.publish(message) for message in messages], timeout=timeout)

    def close(self, *, farewell: Message | None = None) -> None:
        """Disconnect, first saying `farewell` (a clean stop: no last will is sent then)."""
        client, self.client = self.client, None
        if client is None:
            return
        if farewell is not None and self.up:
            self.confirm([client.publish(farewell.topic, farewell.payload, qos=QOS, retain=farewell.retain)], timeout=5)
        client.disconnect()
        client.loop_stop()
        self._up.clear()
