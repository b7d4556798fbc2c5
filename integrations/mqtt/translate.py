"""One event -> the MQTT messages it makes: the event itself on `<prefix>/events/<type>`, and
the retained presence and camera state it changes (rules in state.py)."""

from __future__ import annotations

import datetime as dt

from integrations.mqtt.state import PresenceBook, RetainedState
from integrations.mqtt.topics import OFF, OFFLINE, ON, ONLINE, Message, Topics, safe_level

PRESENT_TYPES = {"visit.opened", "visit.named", "person.arrived"}  # a person named here is present
SIGHTING_TYPES = PRESENT_TYPES | {"visit.ended", "stranger.seen"}  # a camera saw a face at the event's time
CAMERA_STATES = {"camera.online": ONLINE, "camera.offline": OFFLINE}


def event_time(event: dict) -> dt.datetime:
    """The event's time with its offset (UTC when it has none, or none that parses)."""
    try:
        when = dt.datetime.fromisoformat(str(event.get("time")))
    except ValueError:
        return dt.datetime.now(dt.timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def ref_id(value) -> int | None:
    """The id of {"id": 3, ...} (a person, a camera) or of a bare int (visit_id)."""
    value = value.get("id") if isinstance(value, dict) else value
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Translator:
    def __init__(self, *, topics: Topics, state: RetainedState, presence: PresenceBook):
        self.topics, self.state, self.presence = topics, state, presence

    def messages(self, *, event: dict, raw: str) -> list[Message]:
        """[] for an event whose type cannot be a topic level (it is skipped, not retried)."""
        kind = event.get("type")
        if not isinstance(kind, str) or not safe_level(kind):
            return []
        messages = [Message(topic=self.topics.event(kind), payload=raw), *self._presence(event, kind), *self._camera(event, kind)]
        return [message for message in messages if message is not None]

    def _presence(self, event: dict, kind: str) -> list[Message | None]:
        person_id, visit_id = ref_id(event.get("person")), ref_id(event.get("visit_id"))
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        if data.get("snapshot_id") is not None:
            visit_id = None  # a face of an uploaded photo: a one-frame visit that no visit.ended follows
        at = event_time(event).timestamp()
        if kind in PRESENT_TYPES and person_id is not None:
            self.presence.seen(person_id=person_id, visit_id=visit_id, at=at)
            return [self.state.change(self.topics.person_present(person_id), ON)]
        if kind == "visit.ended" or (kind == "visit.named" and person_id is None):
            # Ended, or renamed to a stranger: the visit no longer keeps its person present.
            self.presence.ended(person_id=person_id, visit_id=visit_id, at=at)
        return []

    def _camera(self, event: dict, kind: str) -> list[Message | None]:
        camera_id = ref_id(event.get("camera"))
        if camera_id is None:
            return []
        if kind in CAMERA_STATES:
            return [self.state.change(self.topics.camera_state(camera_id), CAMERA_STATES[kind])]
        if kind not in SIGHTING_TYPES:
            return []
        topic, seen = self.topics.camera_last_seen(camera_id), event_time(event)
        before = self.state.get(topic)
        if before is not None and event_time({"time": before}) >= seen:
            return []  # an older event sent again (after a restart) never moves last_seen back
        return [self.state.change(topic, seen.isoformat())]

    def expired(self, *, now: float) -> list[Message]:
        """"off" for everyone whose presence ended by `now`."""
        messages = [self.state.change(self.topics.person_present(pid), OFF) for pid in self.presence.due(now=now)]
        return [message for message in messages if message is not None]
