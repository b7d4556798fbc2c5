"""Web JSON, built from what the caller holds in memory (the worker passes the rows it just
wrote, never re-read): recognition results of snapshots, per-frame overlays, visit events,
camera status. The websocket events and the API share these shapes; services never build
URLs or payloads themselves."""

from __future__ import annotations

import base64
import datetime as dt

from django.urls import reverse

from identity.live.track import FaceView, Track, named_by
from identity.matching import person_display_id
from identity.models import FaceSample, MatchLog, Snapshot
from identity.vision.quality import ENROLMENT_LIMITS, EnrolmentLimits

PENDING, NAMED, STRANGER, TOO_SMALL = "pending", "named", "stranger", "too_small"


def _iso(seconds: float | None) -> str | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()


def _iso_time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def jpeg_data_url(jpeg: bytes) -> str:
    """An inline image for a page that must not store it (a compare crop, a test frame)."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def _person(person) -> dict | None:
    return {"id": person.pk, "name": person.name, "code": person.code} if person else None


def person_choice(person) -> dict:
    """A person offered in a type-ahead: name, code and face (`sample_id` from people_search)."""
    sample_id = getattr(person, "sample_id", None)
    return {**_person(person), "crop_url": reverse("media-sample-crop", args=[sample_id]) if sample_id else None}


def _crop_url(log: MatchLog) -> str | None:
    """A logged face's crop, while retention has not erased it."""
    return reverse("media-log-crop", args=[log.pk]) if log.crop else None


def sample_payload(sample: FaceSample) -> dict:
    """An enrolment photo: the `enrolment.sample` event's "sample" object and the person page's."""
    return {
        "id": sample.pk,
        "person_id": sample.person_id,
        "status": sample.status,
        "reason": sample.reason,
        "crop_url": reverse("media-sample-crop", args=[sample.pk]) if sample.crop else None,
        "photo_url": reverse("media-sample-photo", args=[sample.pk]) if sample.photo else None,
        "filename": sample.filename,
        "delete_url": reverse("sample-delete", args=[sample.person_id, sample.pk]),
        "quality": sample.quality or {},
        "held_as": _held_as(sample) if sample.status == FaceSample.HELD and sample.held_as_id else None,
    }


def _held_as(sample: FaceSample) -> dict:
    """Whom a held photo's face is named as, with their face, and the two answers' URLs."""
    other = sample.held_as
    face = other.samples.filter(status=FaceSample.ACCEPTED).exclude(crop="").order_by("id").values_list("pk", flat=True)
    face_id = face.first()
    return {
        **_person(other), "display_id": other.display_id, "url": reverse("person-detail", args=[other.pk]),
        "crop_url": reverse("media-sample-crop", args=[face_id]) if face_id else None,
        "move_url": reverse("sample-move", args=[sample.person_id, sample.pk]),
        "distinct_url": reverse("sample-distinct", args=[sample.person_id, sample.pk]),
    }


def enrolment_limits_text(limits: EnrolmentLimits = ENROLMENT_LIMITS) -> list[str]:
    """The enrolment gate's limits in words, for the enrolment pages' "Photos are accepted when…"
    list (written here once: the gate's own reasons quote the same numbers)."""
    return [
        f"there is one face, clear enough to be sure it is a face (certainty at least {limits.min_score:.2f})",
        f"the face is at least {limits.min_size:.0f} pixels wide",
        f"the person looks at the camera (head turned at most {limits.max_yaw:.0f}°)",
        f"the face is neither too dark nor too bright (brightness between {limits.min_brightness:.0f} "
        f"and {limits.max_brightness:.0f}, of 255)",
        f"the face is sharp, not blurry (sharpness at least {limits.min_blur:.0f})",
    ]


def likeness_text(similarity: float, *, threshold: float) -> str:
    """How alike two faces are, in words, against the threshold that names a face (figures kept
    for the curious): "as alike as two photos of one person (similarity 0.62; a face is named
    from 0.45)"."""
    words = ("as alike as two photos of one person" if similarity >= threshold
             else "somewhat alike, less than two photos of one person usually are")
    return f"{words} (similarity {similarity:.2f}; a face is named from {threshold:.2f})"


def _snapshot_face(log: MatchLog) -> dict:
    return {
        "log_id": log.pk,
        "face_index": log.face_index,
        "box": log.box,
        "decision": log.decision,
        "too_small": log.decision == MatchLog.TOO_SMALL,
        "assigned_id": log.assigned_id,
        "label": log.label,
        "person": _person(log.person),
        "provisional": log.provisional.label if log.provisional else None,
        "similarity": _round(log.similarity),
        "margin": _round(log.margin),
        "crop_url": _crop_url(log),
    }


def camera_brief(snapshot: Snapshot) -> dict | None:
    """The camera a frame came from: {"id", "name"}; a deleted one's id is null and its name says
    so ("Hall (deleted camera)"); an upload: None."""
    if snapshot.camera is not None:
        return {"id": snapshot.camera.pk, "name": snapshot.camera.name}
    return {"id": None, "name": snapshot.source_name} if snapshot.deleted_camera else None


def snapshot_payload(snapshot: Snapshot, *, logs: list[MatchLog]) -> dict:
    """A snapshot's recognition result, for the API and the websocket (README "Events (websockets)"):
    {"snapshot": {...}, "faces": [...]} from its logs (person and provisional loaded)."""
    return {
        "snapshot": {
            "id": snapshot.pk,
            "camera": camera_brief(snapshot),
            "received_at": _iso_time(snapshot.received_at),
            "processed_at": _iso_time(snapshot.processed_at),
            "width": snapshot.width,
            "height": snapshot.height,
            "status": snapshot.status,
            "error": snapshot.error,
            "image_url": reverse("media-snapshot", args=[snapshot.pk]),
            "url": reverse("snapshot-detail", args=[snapshot.pk]),
        },
        "faces": [_snapshot_face(log) for log in sorted(logs, key=lambda log: log.face_index)],
    }


def recognition_event(snapshot: Snapshot, *, logs: list[MatchLog]) -> dict:
    """`recognition.result`: a snapshot just decided (or failed)."""
    return {"type": "recognition.result", **snapshot_payload(snapshot, logs=logs)}


def log_visit(log: MatchLog) -> dict:
    """A stored face (a visit: one row per appearance) in `visit.update`'s visit shape, for the
    dashboard's first render; snapshot__camera, person and provisional loaded."""
    return {
        "id": log.pk,
        "camera": camera_brief(log.snapshot),
        "first_seen": _iso_time(log.created_at),
        "last_seen": _iso_time(log.last_seen),
        "frame_count": log.frame_count,
        "decision": log.decision,
        "assigned_id": log.assigned_id,
        "label": log.label,
        "person_id": log.person_id,
        "provisional": log.provisional.label if log.provisional else None,
        "similarity": _round(log.similarity),
        "crop_url": _crop_url(log),
        "snapshot_id": log.snapshot_id,
        "snapshot_url": reverse("snapshot-detail", args=[log.snapshot_id]),
    }


def review_item(log: MatchLog) -> dict:
    """One review queue entry: the face, its candidate (selectors.with_candidate_sample gives
    `candidate_sample_id`) and how sure the system was."""
    candidate = log.candidate
    sample_id = getattr(log, "candidate_sample_id", None)
    return {
        "log_id": log.pk,
        "decision": log.decision,
        "assigned_id": log.assigned_id,
        "review_status": log.review_status,
        "crop_url": _crop_url(log),
        "candidate": _person(candidate),
        "candidate_crop_url": reverse("media-sample-crop", args=[sample_id]) if sample_id else None,
        "reviewed_person": _person(log.reviewed_person),
        "similarity": log.similarity,
        "margin": log.margin,
        "threshold": log.threshold,
        "camera": (camera_brief(log.snapshot) or {}).get("name"),
        "seen_at": log.created_at.isoformat(),
        "last_seen": log.last_seen.isoformat(),
        "frame_count": log.frame_count,
        "item_url": reverse("review-item") + f"?log={log.pk}",
        "decide_url": reverse("review-decide", args=[log.pk]),
    }


def track_face(track: Track, view: FaceView) -> dict:
    """One box of an overlay: the track, its state and label as decided so far."""
    state = track.visit
    identity = track.identity
    if identity is None and view.too_small:
        status, label, assigned_id = TOO_SMALL, "too small to name", None
    elif identity is None:
        status, label, assigned_id = PENDING, "…", None
    else:
        status = NAMED if identity.known else STRANGER
        unsaved = identity.stranger_label or person_display_id(identity.person_id)  # before its visit is written
        label = state.label if state else unsaved
        assigned_id = state.assigned_id if state else unsaved
    return {
        "track_id": track.track_id,
        "box": [round(float(v), 1) for v in view.box],
        "state": status,
        "label": label,
        "assigned_id": assigned_id,
        "similarity": _round(view.match.similarity if view.match else None),
        "named_by": named_by(track, view),  # "face": its own similarity names the person; "track": the vote
        "visit_id": state.log_id if state else None,
    }


def overlay_event(*, camera_id: int, camera_name: str, width: int, height: int, captured_at: float,
                  processed_at: float, faces: list[tuple[Track, FaceView]], picture_id: int | None = None,
                  detected: bool = True) -> dict:
    """`camera.overlay`: the boxes of one processed frame (pushed, never stored); `picture`: this very
    frame as the camera's live picture (identity.services.live_pictures), when one was kept;
    `still`: nothing moved and no face was followed, so no face detector ran on it."""
    picture = None if picture_id is None else {
        "id": picture_id, "url": reverse("media-camera-picture", args=[camera_id, picture_id]),
    }
    return {
        "type": "camera.overlay",
        "camera": {"id": camera_id, "name": camera_name},
        "width": width,
        "height": height,
        "captured_at": _iso(captured_at),
        "latency_ms": round((processed_at - captured_at) * 1000.0, 1),
        "faces": [track_face(track, view) for track, view in faces],
        "picture": picture,
        "still": not detected,
    }


def visit_event(*, event: str, camera_id: int, camera_name: str, track: Track) -> dict:
    """`visit.update`: a visit opened, was named, or ended (event), from the track's state."""
    state = track.visit
    identity = track.identity
    return {
        "type": "visit.update",
        "event": event,
        "visit": {
            "id": state.log_id,
            "camera": {"id": camera_id, "name": camera_name},
            "track_id": track.track_id,
            "first_seen": _iso(track.first_seen),
            "last_seen": _iso(track.last_seen),
            "frame_count": state.base_frames + track.frames,
            "decision": "known" if identity.known else "unknown",
            "assigned_id": state.assigned_id,
            "label": state.label,
            "person_id": state.person_id,
            "provisional": state.stranger_label,
            "similarity": _round(identity.similarity),
            "crop_url": reverse("media-log-crop", args=[state.log_id]),
            "snapshot_id": state.snapshot_id,
            "snapshot_url": reverse("snapshot-detail", args=[state.snapshot_id]),
        },
    }


# A camera's state in a user's words; `state` stays the code clients and styles use.
CAMERA_STATE_WORDS = {
    "starting": "connecting…", "online": "online", "reconnecting": "offline, trying again",
    "error": "cannot be read", "stopped": "switched off", "idle": "waiting for pictures",
}


def camera_status(*, camera, reader: dict | None, live: dict | None, counts: dict | None) -> dict:
    """A camera's state for the cameras page and the dashboard: the reader's (streams) or the
    browser's, and the live worker's processing figures (none unless it is online: an offline
    camera's last rates would read as if it were still analysing)."""
    reader = reader or {}
    live = live or {}
    counts = counts or {}
    if camera.is_stream:
        state = reader.get("state", "stopped" if not camera.active else "starting")
    else:
        state = "online" if live.get("last_processed_at") else "idle"
    online = state == "online"
    return {
        "id": camera.pk,
        "name": camera.name,
        "url": reverse("camera-view", args=[camera.pk]),
        "kind": camera.kind,
        "is_stream": camera.is_stream,
        "state": state,
        "state_text": CAMERA_STATE_WORDS.get(state, state),
        "error": reader.get("error", ""),
        "last_frame_at": _iso(reader.get("last_frame_at")),
        "fps_in": _round(reader.get("fps_in"), 2) if online else None,
        "fps_processed": _round(live.get("fps"), 2) if online else None,
        "last_processed_at": _iso(live.get("last_processed_at")),
        "frames_received": counts.get("received", 0),
        "frames_replaced": counts.get("replaced", 0),
        "frames_expired": counts.get("expired", 0),
        "reconnects": reader.get("reconnects", 0),
    }


def camera_status_event(status: dict) -> dict:
    """`camera.status`: a camera's state (camera_status) changed or was refreshed."""
    return {"type": "camera.status", "camera": status}
