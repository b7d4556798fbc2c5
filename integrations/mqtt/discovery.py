"""Home Assistant MQTT discovery: each active person appears as a presence binary_sensor, each
active camera as a "last seen" timestamp sensor (a stream camera also as a connectivity
binary_sensor), with no configuration in Home Assistant (https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery).

Configs are retained. A person or camera deleted or switched off has its configs removed (an
empty retained message) and its retained state cleared, also when that happened while the bridge
was stopped: what was published is remembered in Redis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import redis

from identity.models import Camera, Person
from integrations.mqtt.topics import OFF, OFFLINE, ON, ONLINE, Message, Topics

PERSON, CAMERA = "person", "camera"
ORIGIN = {"name": "faceapp"}


@dataclass(frozen=True)
class Entity:
    """A person or a camera as Home Assistant sees it."""

    kind: str  # PERSON or CAMERA
    id: int
    configs: dict[str, str] = field(default_factory=dict)  # discovery topic -> JSON config
    state_topics: tuple[str, ...] = ()  # retained state, cleared when the entity goes

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


def _json(config: dict) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"))  # stable: unchanged configs are not resent


def _common(*, topics: Topics, unique_id: str, device: dict) -> dict:
    return {
        "unique_id": unique_id, "device": device, "origin": ORIGIN,
        "availability_topic": topics.availability, "payload_available": ONLINE, "payload_not_available": OFFLINE,
    }  # fmt: skip


def person_entity(*, topics: Topics, person_id: int, name: str, code: str | None) -> Entity:
    object_id = f"{topics.node}_person_{person_id}"
    device = {"identifiers": [object_id], "name": name, "manufacturer": "faceapp", "model": "Enrolled person"}
    if code:
        device["serial_number"] = code
    presence = {
        **_common(topics=topics, unique_id=object_id, device=device),
        "name": "Presence", "device_class": "presence",
        "state_topic": topics.person_present(person_id), "payload_on": ON, "payload_off": OFF,
    }  # fmt: skip
    configs = {topics.discovery("binary_sensor", object_id): _json(presence)} if topics.discovery_prefix else {}
    return Entity(kind=PERSON, id=person_id, configs=configs, state_topics=(topics.person_present(person_id),))


def camera_entity(*, topics: Topics, camera_id: int, name: str, kind: str) -> Entity:
    object_id = f"{topics.node}_camera_{camera_id}"
    device = {"identifiers": [object_id], "name": name, "manufacturer": "faceapp", "model": f"Camera ({kind})"}
    last_seen = {
        **_common(topics=topics, unique_id=object_id, device=device),
        "name": "Last seen", "device_class": "timestamp", "state_topic": topics.camera_last_seen(camera_id),
    }  # fmt: skip
    configs = {topics.discovery("sensor", object_id): _json(last_seen)}
    if kind in Camera.STREAM_KINDS:  # a browser camera has no reader to say online or offline
        online = {
            **_common(topics=topics, unique_id=f"{object_id}_state", device=device),
            "name": "Online", "device_class": "connectivity", "entity_category": "diagnostic",
            "state_topic": topics.camera_state(camera_id), "payload_on": ONLINE, "payload_off": OFFLINE,
        }  # fmt: skip
        configs[topics.discovery("binary_sensor", f"{object_id}_state")] = _json(online)
    configs = configs if topics.discovery_prefix else {}
    state = (topics.camera_last_seen(camera_id), topics.camera_state(camera_id))
    return Entity(kind=CAMERA, id=camera_id, configs=configs, state_topics=state)


def wanted_entities(*, topics: Topics) -> dict[str, Entity]:
    """The active people and cameras, from the database."""
    people = [person_entity(topics=topics, person_id=pk, name=name, code=code)
              for pk, name, code in Person.objects.filter(active=True).order_by("pk").values_list("pk", "name", "code")]
    cameras = [camera_entity(topics=topics, camera_id=pk, name=name, kind=kind)
               for pk, name, kind in Camera.objects.filter(active=True).order_by("pk").values_list("pk", "name", "kind")]
    return {entity.key: entity for entity in [*people, *cameras]}  # fmt: skip


@dataclass(frozen=True)
class Changes:
    messages: list[Message]  # configs to publish, and empty ones that remove configs
    removed: list[Entity]  # whose retained state is to be cleared


class DiscoveryBook:
    """What discovery configs the broker was last given (a Redis hash: entity key -> entity)."""

    def __init__(self, *, client: redis.Redis, key: str):
        self.client, self.key = client, key
        self.published = {k.decode(): self._loads(v) for k, v in client.hgetall(key).items()}

    @staticmethod
    def _loads(text: bytes) -> Entity:
        data = json.loads(text)
        return Entity(kind=data["kind"], id=data["id"], configs=data["configs"], state_topics=tuple(data["state_topics"]))

    def knows(self, *, kind: str, id: int) -> bool:
        return f"{kind}:{id}" in self.published

    def changes(self, wanted: dict[str, Entity], *, full: bool) -> Changes:
        """What to publish so that the broker holds `wanted`; `full`: every config again (a new
        connection, Home Assistant restarted), else only those that changed."""
        messages = []
        for key, entity in wanted.items():
            before = self.published.get(key)
            old = before.configs if before else {}
            messages += [Message(topic, payload, retain=True) for topic, payload in entity.configs.items()
                         if full or old.get(topic) != payload]  # fmt: skip
            messages += [Message(topic, "", retain=True) for topic in old if topic not in entity.configs]
        removed = [entity for key, entity in self.published.items() if key not in wanted]
        messages += [Message(topic, "", retain=True) for entity in removed for topic in entity.configs]
        return Changes(messages=messages, removed=removed)

    def commit(self, wanted: dict[str, Entity]) -> None:
        """Remember `wanted` as published (once the broker confirmed it)."""
        rows = {key: json.dumps({"kind": e.kind, "id": e.id, "configs": e.configs, "state_topics": list(e.state_topics)})
                for key, e in wanted.items()}  # fmt: skip
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(self.key)
            if rows:
                pipe.hset(self.key, mapping=rows)
            pipe.execute()
        self.published = dict(wanted)
