"""Visits from camera tracks: one MatchLog row per appearance, not per frame.

A track is written when its identity is decided (the visit opens, or extends a visit of the
same identity on the same camera that ended less than FACEAPP_VISIT_COOLDOWN_SECONDS ago: the
track joins it, and the visit's events, its webhooks and alerts, are not sent again),
when its identity changes (a stranger's track comes to be named), and when it ends. The best
face seen is the visit's crop and its whole frame the evidence snapshot; nothing else of the
frames is stored. A named person's visit sends identity.events' visit_opened, visit_named and
visit_ended once written.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from identity.events import Sighting, send_on_commit, visit_ended, visit_named, visit_opened
from identity.live.recognizer import Recognizer
from identity.live.track import Track
from identity.models import Camera, MatchLog, Person, ProvisionalIdentity, Snapshot, embedding_to_bytes
from identity.services.files import files_delete
from identity.services.recognizer import stranger_seen
from identity.vision.image import encode_jpeg


@dataclass
class VisitState:
    """What the owning process remembers of a track's visit row."""

    log_id: int
    snapshot_id: int
    base_frames: int  # frames the visit had before this track joined it
    evidence_weight: float  # weight of the face now stored as its crop
    person_id: int | None
    stranger_label: str | None
    label: str  # the person's name or the stranger's label
    assigned_id: str
    joined: bool = False  # the track joined a visit already open (its events went out when it opened)


def _when(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def _people(person_ids) -> dict[int, Person]:
    return Person.objects.in_bulk([p for p in person_ids if p is not None])


def _decision_fields(track: Track, person: Person | None, stranger: ProvisionalIdentity | None,
                     threshold: float) -> dict:
    match = track.best.view.match
    return {
        "person": person,
        "best_person_id": match.person_id if match else None,
        "similarity": match.similarity if match and match.person_id is not None else None,
        "margin": match.margin if match and match.person_id is not None else None,
        "threshold": threshold,
        "provisional": stranger,
        "assigned_id": person.display_id if person else stranger.label,
        "decision": MatchLog.KNOWN if person else MatchLog.UNKNOWN,
    }


def _evidence(log: MatchLog, snapshot: Snapshot, track: Track) -> list[str]:
    """Store the track's best face and frame on the rows (unsaved); the names written."""
    best = track.best
    log.box = [round(float(v), 1) for v in best.view.box]
    log.embedding = embedding_to_bytes(best.view.embedding)
    log.quality = best.view.quality.as_dict() if best.view.quality else {}
    log.crop.save("crop.jpg", ContentFile(encode_jpeg(best.view.crop)), save=False)
    snapshot.image.save("frame.jpg", ContentFile(encode_jpeg(best.image, quality=85)), save=False)
    snapshot.height, snapshot.width = best.image.shape[:2]
    return [log.crop.name, snapshot.image.name]


def _identity_rows(track: Track) -> tuple[Person | None, ProvisionalIdentity | None]:
    identity = track.identity
    if identity.known:
        return _people([identity.person_id]).get(identity.person_id), None
    return None, ProvisionalIdentity.objects.filter(label=identity.stranger_label).first()


def _recent_visit(camera: Camera, person: Person | None, stranger: ProvisionalIdentity | None,
                  since: dt.datetime) -> MatchLog | None:
    same = Q(person=person) if person else Q(provisional=stranger, person__isnull=True)
    return (MatchLog.objects.filter(same, snapshot__camera=camera, last_seen__gte=since)
            .order_by("-last_seen").first())


def _state(log: MatchLog, base_frames: int, weight: float, person, stranger) -> VisitState:
    return VisitState(
        log_id=log.pk, snapshot_id=log.snapshot_id, base_frames=base_frames, evidence_weight=weight,
        person_id=person.pk if person else None, stranger_label=stranger.label if stranger else None,
        label=person.name if person else stranger.label, assigned_id=log.assigned_id,
    )


def visit_record(*, camera: Camera, track: Track, threshold: float, recognizer: Recognizer, model_id: str,
                 cooldown_seconds: float) -> VisitState | None:
    """Open (or extend) the visit of a track just decided, or move it to the track's new
    identity; None when the identity's row is gone (a person deleted meanwhile)."""
    person, stranger = _identity_rows(track)
    if person is None and stranger is None:
        return None
    first_seen, last_seen = _when(track.first_seen), _when(track.last_seen)
    if stranger is not None:
        stranger_seen(recognizer=recognizer, label=stranger.label, seen_at=last_seen)
    state: VisitState | None = track.visit
    written: list[str] = []
    opened = state is None
    try:
        with transaction.atomic():
            if state is None:
                log = _recent_visit(camera, person, stranger, first_seen - dt.timedelta(seconds=cooldown_seconds))
                if log is not None:
                    MatchLog.objects.filter(pk=log.pk).update(
                        last_seen=Greatest(F("last_seen"), last_seen), frame_count=F("frame_count") + track.frames
                    )
                    state = _state(log, log.frame_count, float("inf"), person, stranger)
                    state.joined = True
                else:
                    log, snapshot = _visit_rows(camera, track, person, stranger, threshold, model_id, first_seen,
                                                last_seen)
                    written = _evidence(log, snapshot, track)
                    snapshot.save()
                    log.snapshot = snapshot
                    log.save()
                    state = _state(log, 0, track.best.view.weight, person, stranger)
            else:
                fields = _decision_fields(track, person, stranger, threshold)
                MatchLog.objects.filter(pk=state.log_id).update(**fields)
                log = MatchLog(pk=state.log_id, snapshot_id=state.snapshot_id, assigned_id=fields["assigned_id"])
                state = _state(log, state.base_frames, state.evidence_weight, person, stranger)
            if person is not None:  # opened as theirs, or a stranger's visit came to be theirs
                send_on_commit(visit_opened if opened else visit_named,
                               sighting=Sighting(person_id=person.pk, seen_at=first_seen, camera_id=camera.pk,
                                                 log_id=state.log_id, tracked=True))
    except BaseException:
        files_delete(written)  # rolled back: the crop and frame belong to no row
        raise
    return state


def _visit_rows(camera, track, person, stranger, threshold, model_id, first_seen, last_seen):
    snapshot = Snapshot(camera=camera, received_at=first_seen, processed_at=timezone.now(), status=Snapshot.DONE,
                        face_count=1)
    log = MatchLog(face_index=0, model_id=model_id, created_at=first_seen, last_seen=last_seen,
                   frame_count=track.frames, **_decision_fields(track, person, stranger, threshold))
    return log, snapshot


def visit_close(*, camera: Camera, track: Track) -> None:
    """The track ended: the visit's last seen and frame count, and a better face if one came."""
    state: VisitState | None = track.visit
    if state is None:
        return
    last_seen = _when(track.last_seen)
    # Greatest: a process that took the camera over may have extended this visit meanwhile.
    frame_count = state.base_frames + track.frames
    MatchLog.objects.filter(pk=state.log_id).update(
        last_seen=Greatest(F("last_seen"), last_seen), frame_count=Greatest(F("frame_count"), frame_count)
    )
    if track.best is not None and track.best.view.weight > state.evidence_weight:
        _evidence_replace(state, track)
    if state.person_id is not None:
        send_on_commit(visit_ended, sighting=Sighting(person_id=state.person_id, seen_at=last_seen,
                                                      camera_id=camera.pk, log_id=state.log_id, tracked=True))


def _evidence_replace(state: VisitState, track: Track) -> None:
    log = MatchLog.objects.select_related("snapshot").filter(pk=state.log_id).first()
    if log is None:
        return  # erased meanwhile
    old = [log.crop.name, log.snapshot.image.name]
    written = _evidence(log, log.snapshot, track)
    try:
        log.snapshot.save(update_fields=["image", "width", "height"])
        log.save(update_fields=["box", "embedding", "quality", "crop"])
    except BaseException:
        files_delete(written)
        raise
    files_delete(old)
    state.evidence_weight = track.best.view.weight
