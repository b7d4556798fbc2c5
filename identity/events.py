"""Identity's domain events: what other apps (attendance) learn from identity, which never
imports them. Each is a Django signal sent once identity's change is committed
(`send_on_commit`); receivers take keyword arguments and run after that commit, in their own
transactions. A receiver that fails is logged and never undoes identity's work.

| signal | arguments | sent when |
| --- | --- | --- |
| `visit_opened` | `sighting` (seen_at: the visit's first sighting) | a named person's visit opens (a camera track, or a recent visit of theirs on that camera extended; each named face of a photo is a one-frame visit that only opens) |
| `visit_named` | `sighting` (seen_at: the first sighting) | a stranger's visit comes to be named (a camera track's votes name it) |
| `visit_ended` | `sighting` (seen_at: the last sighting) | a named person's camera visit ends |
| `faces_recounted` | `recounts`: tuple of `Recount` | whom faces count for changed: a review (confirm, reject, reassign, undo, add as sample, a stranger named), or the faces were deleted (after: None) |
| `person_merged` | `from_person_id`, `into_person_id`, `days`: the site days of the visits that moved | two people were merged: `from` is gone, its faces count for `into` |
| `person_erased` | `person_id` | a person was erased with every row naming them |
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sighting:
    """A named person seen in a visit (match log `log_id`): when and by which camera; `tracked`:
    a camera track's visit, sent from the live worker's frame loop (else a photo's)."""

    person_id: int
    seen_at: dt.datetime
    camera_id: int | None
    log_id: int
    tracked: bool = False


@dataclass(frozen=True)
class Recount:
    """A face (match log) whose person changed: whom it counted for before and after (None: nobody)."""

    log_id: int
    seen_at: dt.datetime  # the visit's first sighting
    camera_id: int | None
    before_person_id: int | None
    after_person_id: int | None


visit_opened = Signal()
visit_named = Signal()
visit_ended = Signal()
faces_recounted = Signal()
person_merged = Signal()
person_erased = Signal()


def _send(signal: Signal, kwargs: dict) -> None:
    for receiver, result in signal.send_robust(sender="identity", **kwargs):
        if isinstance(result, Exception):
            logger.error("%s failed on an identity event", getattr(receiver, "__qualname__", receiver),
                         exc_info=(type(result), result, result.__traceback__))


def send_on_commit(signal: Signal, **kwargs) -> None:
    """Send `signal` with `kwargs` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send(signal, kwargs))
