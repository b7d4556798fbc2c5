"""What the bridge remembers between events and across restarts, in Redis: the retained
messages it owns, and who is present.

Presence rule: a person is present ("on") from a visit.opened, visit.named or person.arrived
naming them, for as long as one of their visits is open, and until FACEAPP_MQTT_PRESENCE_
TIMEOUT_SECONDS after their last visit ended (0: off at visit.ended). A visit renamed to someone
else leaves the first person. An event naming a person without a visit id, or for a face of an
uploaded photo (a one-frame visit that never ends), counts as a sighting: present until the
timeout after it. Times are the events' own, so a backlog sent late after a
broker outage gives the same result as live events.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import redis

from integrations.mqtt.topics import Message


class RetainedState:
    """Retained topics the bridge owns (presence, camera state), mirrored in a Redis hash: a
    broker that lost them (restarted without persistence) is sent them all again on connect."""

    def __init__(self, *, client: redis.Redis, key: str):
        self.client, self.key = client, key
        self.values = {k.decode(): v.decode() for k, v in client.hgetall(key).items()}

    def change(self, topic: str, payload: str) -> Message | None:
        """The message that sets `topic` to `payload`, or None when it holds that already."""
        if self.values.get(topic) == payload:
            return None
        self.client.hset(self.key, topic, payload)
        self.values[topic] = payload
        return Message(topic=topic, payload=payload, retain=True)

    def get(self, topic: str) -> str | None:
        return self.values.get(topic)

    def clear(self, topic: str) -> Message:
        self.client.hdel(self.key, topic)
        self.values.pop(topic, None)
        return Message(topic=topic, payload="", retain=True)  # an empty retained message removes it

    def messages(self) -> list[Message]:
        return [Message(topic=topic, payload=payload, retain=True) for topic, payload in sorted(self.values.items())]


@dataclass
class Presence:
    visits: set[int] = field(default_factory=set)  # open visits naming the person
    off_at: float | None = None  # epoch seconds; only once no visit is open

    def dumps(self) -> str:
        return json.dumps({"visits": sorted(self.visits), "off_at": self.off_at})

    @classmethod
    def loads(cls, text: bytes | str) -> Presence:
        data = json.loads(text)
        return cls(visits=set(data.get("visits") or []), off_at=data.get("off_at"))


class PresenceBook:
    """Who is present and until when (see the module's rule), mirrored in a Redis hash."""

    def __init__(self, *, client: redis.Redis, key: str, timeout: float):
        self.client, self.key, self.timeout = client, key, timeout
        self.people = {int(k): Presence.loads(v) for k, v in client.hgetall(key).items()}

    def seen(self, *, person_id: int, visit_id: int | None, at: float) -> None:
        if visit_id is not None:
            self._leave(visit_id=visit_id, at=at, keep=person_id)  # a renamed visit leaves its first person
        presence = self.people.setdefault(person_id, Presence())
        if visit_id is not None:
            presence.visits.add(visit_id)
            presence.off_at = None
        elif not presence.visits:
            presence.off_at = max(presence.off_at or 0.0, at + self.timeout)
        self._save(person_id)

    def ended(self, *, person_id: int | None, visit_id: int | None, at: float) -> None:
        if visit_id is not None:
            self._leave(visit_id=visit_id, at=at, keep=None)
        if person_id is None:
            return
        # A visit that opened before this bridge knew of it: the person leaves after the timeout too.
        presence = self.people.setdefault(person_id, Presence())
        if not presence.visits:
            presence.off_at = max(presence.off_at or 0.0, at + self.timeout)
            self._save(person_id)

    def _leave(self, *, visit_id: int, at: float, keep: int | None) -> None:
        for person_id, presence in self.people.items():
            if person_id != keep and visit_id in presence.visits:
                presence.visits.discard(visit_id)
                if not presence.visits:
                    presence.off_at = at + self.timeout
                self._save(person_id)

    def due(self, *, now: float) -> list[int]:
        """People whose presence has ended by `now`, forgotten here."""
        gone = [pid for pid, p in self.people.items() if not p.visits and p.off_at is not None and p.off_at <= now]
        for person_id in gone:
            self.forget(person_id)
        return gone

    def next_due(self) -> float | None:
        times = [p.off_at for p in self.people.values() if not p.visits and p.off_at is not None]
        return min(times, default=None)

    def forget(self, person_id: int) -> None:
        self.people.pop(person_id, None)
        self.client.hdel(self.key, person_id)

    def _save(self, person_id: int) -> None:
        self.client.hset(self.key, person_id, self.people[person_id].dumps())
