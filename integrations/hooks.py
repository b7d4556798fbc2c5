"""What the recognition path calls to publish its events (one line at each place that decides
something): visits of camera tracks and of uploaded photos' faces, camera reader transitions,
finished enrolments. Person arrivals are published by attendance.services itself, a person's
late or absent day by attendance.notices (once per person, group and day)."""

import datetime as dt
import functools
import logging

from django.db import transaction

from faceapp.clock import site_date
from faceapp.redis_client import redis_client
from identity.models import Camera, FaceSample, MatchLog, Snapshot
from integrations.events import event_publish
from integrations.models import Event

logger = logging.getLogger(__name__)

OFFLINE_STATES = ("reconnecting", "error")
_camera_states: dict[int, str] = {}  # camera id -> its reader's state last seen by this process


def never_raises(hook):
    """The caller's work (a visit, a photo's result) is written already: an event that cannot
    be stored is logged, never a reason to fail it."""

    @functools.wraps(hook)
    def guarded(**kwargs) -> None:
        try:
            # A savepoint: inside the caller's transaction a failed INSERT must not spoil the rest.
            with transaction.atomic():
                hook(**kwargs)
        except Exception:
            logger.exception("could not publish the events of %s", hook.__name__)

    return guarded


def _when(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@never_raises
def person_arrived(*, person_id: int, seen_at: dt.datetime, camera_id: int | None) -> None:
    """A person's first attendance record of a day was just created (attendance.services)."""
    event_publish(type=Event.PERSON_ARRIVED, occurred_at=seen_at, camera=camera_id, person=person_id,
                  data={"day": site_date(seen_at).isoformat()})


def attendance_day(*, type: str, person_id: int, occurred_at: dt.datetime, data: dict) -> None:
    """attendance.absent or attendance.late (attendance.notices, in the transaction that claims its notice)."""
    if type not in (Event.ATTENDANCE_ABSENT, Event.ATTENDANCE_LATE):
        raise ValueError(f"not an attendance event: {type!r}")
    event_publish(type=type, occurred_at=occurred_at, person=person_id, data=data)


def _visit_opened(*, occurred_at, camera, person, provisional, score, visit_id, data) -> None:
    """visit.opened, then visit.named (its identity is confirmed as it opens) or stranger.seen."""
    fields = {"occurred_at": occurred_at, "camera": camera, "person": person, "provisional": provisional,
              "score": score, "visit_id": visit_id, "data": data}
    # One commit for a visit's events: a receiver never sees "named" without "opened".
    with transaction.atomic():
        event_publish(type=Event.VISIT_OPENED, **fields)
        event_publish(type=Event.VISIT_NAMED if person is not None else Event.STRANGER_SEEN, **fields)


@never_raises
def live_visit(*, event: str, camera: Camera, track) -> None:
    """A camera track's visit "opened", was "named" (its identity changed) or "ended"
    (identity.services.live._record, after the visit row is written)."""
    state, identity = track.visit, track.identity
    fields = {
        "occurred_at": _when(track.last_seen), "camera": camera, "person": state.person_id,
        "provisional": state.stranger_label if state.person_id is None else None,
        "score": identity.similarity if identity else None, "visit_id": state.log_id,
        "data": {"track_id": track.track_id, "first_seen": _when(track.first_seen).isoformat(),
                 "frame_count": state.base_frames + track.frames, "assigned_id": state.assigned_id,
                 "decision": MatchLog.KNOWN if state.person_id is not None else MatchLog.UNKNOWN},
    }
    if event == "opened":
        _visit_opened(**fields)
    else:
        event_publish(type=Event.VISIT_NAMED if event == "named" else Event.VISIT_ENDED, **fields)


@never_raises
def snapshot_faces(*, snapshot: Snapshot, logs: list[MatchLog]) -> None:
    """Each face of a recognised photo is a one-frame visit
    (identity.services.recognition._snapshot_push, the rows just written)."""
    for log in sorted(logs, key=lambda log: log.face_index):
        _visit_opened(
            occurred_at=log.created_at, camera=snapshot.camera, person=log.person,
            provisional=log.provisional.label if log.person is None and log.provisional else None,
            score=log.similarity, visit_id=log.pk,
            data={"snapshot_id": snapshot.pk, "face_index": log.face_index, "frame_count": 1,
                  "assigned_id": log.assigned_id, "decision": log.decision},
        )


@never_raises
def camera_state(*, camera: Camera, state: str, error: str) -> None:
    """A stream reader's state, published every second (identity.services.readers): on a move,
    camera.offline when an online camera starts reconnecting or fails, camera.online when it
    is online again (or for the first time since the readers started)."""
    previous = _camera_states.get(camera.pk)
    _camera_states[camera.pk] = state
    if state == previous:
        return
    if state == "online":
        kind = Event.CAMERA_ONLINE
    elif state in OFFLINE_STATES and previous == "online":
        kind = Event.CAMERA_OFFLINE
    else:
        return
    event_publish(type=kind, occurred_at=dt.datetime.now(tz=dt.UTC), camera=camera,
                  data={"state": state, "previous": previous, "error": error})


@never_raises
def enrolment_check(*, person_id: int) -> None:
    """enrolment.finished once none of the person's photos is pending any more (after the
    commit of each decided photo: the last of them to commit sees all the others decided)."""

    counts = dict.fromkeys((status for status, _ in FaceSample.STATUS_CHOICES), 0)
    last = None  # the batch's last decided photo: (id, when)
    for status, sample_id, processed_at in FaceSample.objects.filter(person_id=person_id).values_list(
            "status", "pk", "processed_at"):
        counts[status] += 1
        last = max(last or (0, 0.0), (sample_id, processed_at.timestamp() if processed_at else 0.0))
    if counts[FaceSample.PENDING] or last is None:
        return
    batch = f"faceapp:events:enrolment:{person_id}:{last[0]}:{last[1]}"
    try:  # two photos committed at once both see the other decided: one event for that batch
        if not redis_client().set(batch, 1, nx=True, ex=86400):
            return
    except Exception:
        logger.warning("could not de-duplicate enrolment.finished of person %s", person_id, exc_info=True)
    event_publish(type=Event.ENROLMENT_FINISHED, occurred_at=dt.datetime.now(tz=dt.UTC), person=person_id,
                  data={"accepted": counts[FaceSample.ACCEPTED], "rejected": counts[FaceSample.REJECTED],
                        "held": counts[FaceSample.HELD]})
