"""The event stream as the bridge reads it: one Redis consumer group on `faceapp:events`.

Entries are delivered to the group once and stay pending until acknowledged, so a bridge that
restarts first sends again what it had taken but not yet acknowledged. The publisher trims the
stream (MAXLEN ~); what was trimmed before the group read it is counted as dropped, from the
stream's own counters read in the same transaction as the read itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from faceapp.redis_client import redis_text

EVENTS_STREAM = "faceapp:events"
CONSUMER = "bridge"  # one consumer, whatever the client id: its pending entries survive a rename


@dataclass(frozen=True)
class Entry:
    id: str
    raw: str  # the event's JSON as the publisher wrote it; "" when gone
    event: dict | None  # None: gone (trimmed while pending) or not an event


@dataclass(frozen=True)
class Batch:
    entries: list[Entry]
    dropped: int  # trimmed from the stream before this group read them


def _entry(entry_id, fields: dict) -> Entry:
    raw = fields.get(b"event", fields.get("event"))
    if raw is None:
        return Entry(id=redis_text(entry_id), raw="", event=None)
    raw = redis_text(raw)
    try:
        event = json.loads(raw)
    except ValueError:
        event = None
    return Entry(id=redis_text(entry_id), raw=raw, event=event if isinstance(event, dict) else None)


def _entries(reply) -> list[Entry]:
    return [_entry(entry_id, fields or {}) for _, entries in (reply or []) for entry_id, fields in entries]


class EventStream:
    def __init__(self, *, client: redis.Redis, group: str, key: str = EVENTS_STREAM, count: int = 100):
        self.client, self.group, self.key, self.count = client, group, key, count
        self.cursor = "0-0"  # the newest id this group was given

    def ensure_group(self) -> None:
        """The group, created at the stream's end: events from before MQTT was set up are not sent."""
        try:
            info = self.client.xinfo_stream(self.key)
            start, entries_read = redis_text(info["last-generated-id"]), int(info["entries-added"])
        except redis.ResponseError:  # no stream yet
            start, entries_read = "0-0", 0
        try:
            # ENTRIESREAD makes the group's counter exact from the start: dropped counts rely on it.
            self.client.xgroup_create(self.key, self.group, id=start, mkstream=True, entries_read=entries_read)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def pending(self, *, after: str = "0-0") -> list[Entry]:
        """Entries given to this bridge before and not acknowledged (a restart, a lost broker)."""
        return _entries(self.client.xreadgroup(self.group, CONSUMER, {self.key: after}, count=self.count))

    def next_batch(self) -> Batch:
        """New entries, and how many were trimmed before they could be read (never blocks)."""
        try:
            with self.client.pipeline(transaction=True) as pipe:
                pipe.xinfo_stream(self.key)
                pipe.xinfo_groups(self.key)
                pipe.xreadgroup(self.group, CONSUMER, {self.key: ">"}, count=self.count)
                info, groups, reply = pipe.execute()
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error) and "no such key" not in str(error):
                raise
            self.ensure_group()  # the stream was deleted (FLUSHDB): start again at its end
            return Batch(entries=[], dropped=0)
        group = next(g for g in groups if redis_text(g["name"]) == self.group)
        entries = _entries(reply)
        self.cursor = entries[-1].id if entries else redis_text(group["last-delivered-id"])
        return Batch(entries=entries, dropped=self._dropped(info=info, group=group))

    @staticmethod
    def _dropped(*, info: dict, group: dict) -> int:
        # Trimming removes the oldest entries: those beyond the ones this group had read were never sent.
        if group.get("entries-read") is None:
            return 0  # a group made elsewhere, without ENTRIESREAD: unknown, counted from its next read on
        trimmed = int(info["entries-added"]) - int(info["length"])
        return max(0, trimmed - int(group["entries-read"]))

    def wait(self, *, seconds: float) -> None:
        """Until an entry newer than the cursor arrives, or `seconds` pass (nothing is consumed)."""
        self.client.xread({self.key: self.cursor}, count=1, block=max(1, int(seconds * 1000)))

    def ack(self, ids: list[str]) -> None:
        if ids:
            self.client.xack(self.key, self.group, *ids)
