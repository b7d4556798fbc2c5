"""Every MQTT topic the bridge publishes on, written once, and the message it publishes."""

from __future__ import annotations

import re
from dataclasses import dataclass

ONLINE, OFFLINE = "online", "offline"  # the bridge's availability and a camera's state
ON, OFF = "on", "off"  # a person's presence
_SAFE_LEVEL = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class Message:
    topic: str
    payload: str  # "" on a retained topic removes what the broker kept there
    retain: bool = False


def node_id(prefix: str) -> str:
    """"faceapp" -> "faceapp"; "site1/faceapp" -> "site1_faceapp": the start of every unique_id."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", prefix)


def safe_level(value: str) -> bool:
    """An event type may become a topic level: no wildcards, separators or spaces."""
    return bool(_SAFE_LEVEL.match(value))


@dataclass(frozen=True)
class Topics:
    prefix: str
    discovery_prefix: str

    @property
    def node(self) -> str:
        return node_id(self.prefix)

    @property
    def availability(self) -> str:
        return f"{self.prefix}/bridge/availability"

    def event(self, event_type: str) -> str:
        return f"{self.prefix}/events/{event_type}"

    def person_present(self, person_id: int) -> str:
        return f"{self.prefix}/person/{person_id}/present"

    def camera_last_seen(self, camera_id: int) -> str:
        return f"{self.prefix}/camera/{camera_id}/last_seen"

    def camera_state(self, camera_id: int) -> str:
        return f"{self.prefix}/camera/{camera_id}/state"

    def discovery(self, component: str, object_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{object_id}/config"

    @property
    def ha_status(self) -> str:
        # Home Assistant's birth message: "online" after it (re)starts, when configs are sent again.
        return f"{self.discovery_prefix}/status"
