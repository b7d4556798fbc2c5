"""Recognition: snapshots in, match logs, provisional IDs and attendance out."""

import contextlib
import datetime as dt
import logging
import time

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from identity.matching import Gallery, StrangerRegistry, assign_identities
from identity.models import (
    Camera,
    MatchLog,
    Person,
    ProvisionalIdentity,
    Snapshot,
    embedding_from_bytes,
    embedding_to_bytes,
)
from identity.services.attendance import attendance_mark, attendance_today
from identity.services.calibration import threshold_for
from identity.services.gallery import gallery_current, gallery_forget
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push, redis_client
from identity.services.uploads import ImageInput, image_check, image_read, task_enqueue
from identity.vision import ImageError, encode_jpeg

__all__ = [
    "attendance_today", "snapshot_fail", "snapshot_payload", "snapshot_recognize", "snapshot_retry", "snapshot_submit",
    "snapshot_wait", "snapshots_requeue_stale",
]

logger = logging.getLogger(__name__)

FINISHED = (Snapshot.DONE, Snapshot.FAILED)
STRANGER_MEMORY = 2000  # most recently seen provisional identities a new face is compared with
STRANGERS_LOCK = "faceapp:strangers-lock"
# Starts of one snapshot that may end without a result (worker killed, time limit) before it
# is given up: above the task's 1 + 5 retries, so only a poison image ever reaches it.
MAX_ATTEMPTS = 8
REQUEUED_MARK = "faceapp:snapshot-requeued:{}"
REQUEUE_BATCH = 1000


def snapshot_submit(*, image: ImageInput, camera: Camera | None = None, user=None) -> Snapshot:
    """Check the image cheaply (type sniffing, byte and pixel caps from the header: raises
    identity.vision.ImageError with a clear reason), store it as a PENDING snapshot and queue
    `identity.tasks.snapshot_recognize_task` after commit (a broker outage is logged and the
    snapshot stays PENDING)."""
    from identity.tasks import snapshot_recognize_task

    data = image_read(image)
    extension, width, height = image_check(data)
    submitted_by = user if user is not None and user.is_authenticated else None
    snapshot = Snapshot(camera=camera, submitted_by=submitted_by, width=width, height=height)
    snapshot.image.save(f"snapshot.{extension}", ContentFile(data), save=False)
    snapshot.save()
    transaction.on_commit(lambda: task_enqueue(snapshot_recognize_task, snapshot.pk))
    return snapshot


def snapshot_fail(*, snapshot_id: int, error: str) -> Snapshot | None:
    """Mark the snapshot FAILED with `error` (unless it is DONE) and push the result; None
    when it is gone. Admins see the error and can retry it (snapshot_retry)."""
    Snapshot.objects.filter(pk=snapshot_id).exclude(status=Snapshot.DONE).update(
        status=Snapshot.FAILED, error=error[:2000], processed_at=timezone.now()
    )
    snapshot = Snapshot.objects.select_related("camera").filter(pk=snapshot_id).first()
    if snapshot is not None:
        _snapshot_push(snapshot, attendance_changed=False)
    return snapshot


def snapshot_retry(*, snapshot: Snapshot) -> Snapshot:
    """Queue a FAILED (or still PENDING) snapshot again: back to PENDING, no error, attempts
    counted afresh. Raises ValidationError for one that is DONE or being processed."""
    from identity.tasks import snapshot_recognize_task

    # A worker picking it up before the reset commits would find it still FAILED and skip it.
    with transaction.atomic():
        reset = Snapshot.objects.filter(pk=snapshot.pk, status__in=Snapshot.RETRYABLE).update(
            status=Snapshot.PENDING, error="", processed_at=None, attempts=0
        )
        if not reset:
            status = Snapshot.objects.filter(pk=snapshot.pk).values_list("status", flat=True).first() or "gone"
            raise ValidationError(f"snapshot {snapshot.pk} is {status}: only a failed or pending one can be retried")
        transaction.on_commit(lambda: task_enqueue(snapshot_recognize_task, snapshot.pk))
    snapshot.refresh_from_db()
    return snapshot


def snapshots_requeue_stale(*, older_than: dt.timedelta) -> list[int]:
    """Queue again the snapshots still PENDING or PROCESSING `older_than` after they arrived
    (queued while the broker was down, lost with a non-persistent Redis, hard time limit).
    Each is queued at most once per `older_than` (a Redis mark), so a long backlog is not
    flooded with copies; a copy is harmless anyway: the task is idempotent. Returns the ids."""
    from identity.tasks import snapshot_recognize_task

    stale = Snapshot.objects.filter(
        status__in=(Snapshot.PENDING, Snapshot.PROCESSING), received_at__lt=timezone.now() - older_than
    ).order_by("received_at").values_list("pk", flat=True)[:REQUEUE_BATCH]
    client = redis_client()
    mark_seconds = max(1, int(older_than.total_seconds()))
    requeued = []
    for snapshot_id in stale:
        mark = REQUEUED_MARK.format(snapshot_id)
        if not client.set(mark, 1, nx=True, ex=mark_seconds):
            continue
        if task_enqueue(snapshot_recognize_task, snapshot_id):
            requeued.append(snapshot_id)
        else:
            client.delete(mark)
    if requeued:
        logger.warning("queued %d stale snapshot(s) again: %s", len(requeued), requeued[:20])
    return requeued


def _gallery_checked(embeddings: np.ndarray) -> Gallery:
    """The current gallery, reloaded if a person it would name was deleted or deactivated."""
    gallery = gallery_current()
    if not len(embeddings):
        return gallery
    candidates = {m.person_id for m in gallery.search(embeddings) if m.person_id is not None}
    if candidates and Person.objects.filter(pk__in=candidates, active=True).count() < len(candidates):
        gallery_forget()  # the version bump for that change has not reached us yet
        gallery = gallery_current()
    return gallery


def _needs_strangers(gallery: Gallery, embeddings: np.ndarray, threshold: float, margin: float) -> bool:
    matches = gallery.search(embeddings) if len(embeddings) else []
    known = [m.person_id for m in matches if m.is_known(threshold=threshold, margin=margin)]
    return len(known) < len(matches) or len(set(known)) < len(known)


def _strangers_load(model_id: str, dim: int) -> tuple[StrangerRegistry, dict[str, ProvisionalIdentity]]:
    registry = StrangerRegistry()
    rows = ProvisionalIdentity.objects.filter(promoted_to__isnull=True, model_id=model_id).order_by("-last_seen")
    by_label = {}
    for row in rows[:STRANGER_MEMORY]:
        examples = embedding_from_bytes(row.embeddings)
        if examples.size:
            registry.add(row.label, examples.reshape(-1, dim))
            by_label[row.label] = row
    return registry, by_label


def _stranger_create(model_id: str, seen_at, rows: dict[str, ProvisionalIdentity]) -> str:
    # The label comes from the row's pk, so two workers can never hand out the same one.
    row = ProvisionalIdentity.objects.create(
        label=f"new-{time.monotonic_ns()}", embeddings=b"", model_id=model_id, first_seen=seen_at, last_seen=seen_at,
        sightings=0,
    )
    row.label = f"U-{row.pk:04d}"
    row.save(update_fields=["label"])
    rows[row.label] = row
    return row.label


def snapshot_recognize(*, snapshot_id: int) -> Snapshot:
    """The worker's job: detect all faces, embed in one batch, match against the gallery,
    assign IDs (identity.matching.assign_identities), store MatchLog rows + crops, update
    attendance, then push a `recognition.result` event (see snapshot_payload) to the
    dashboard group and the camera's group. Idempotent: a re-delivered snapshot that is
    DONE is not processed again and never gets duplicate logs. Bad images → FAILED + error."""
    from identity.engine import get_face_engine

    snapshot = Snapshot.objects.select_related("camera").get(pk=snapshot_id)
    if snapshot.status in FINISHED:
        return snapshot
    if snapshot.status == Snapshot.PROCESSING and snapshot.attempts >= MAX_ATTEMPTS:
        # Every earlier start ended without a result: one more would only kill another worker.
        return snapshot_fail(
            snapshot_id=snapshot_id,
            error=f"gave up after {snapshot.attempts} attempts that ended without a result "
            "(the worker died or hit the time limit each time)",
        )
    Snapshot.objects.filter(pk=snapshot_id).exclude(status__in=FINISHED).update(
        status=Snapshot.PROCESSING, attempts=F("attempts") + 1
    )
    engine = get_face_engine()
    try:
        with snapshot.image.open("rb") as handle:
            pixels = engine.load_image(handle.read())
        faces = engine.analyze(pixels)  # all faces embedded in one batched ONNX call
    except (ImageError, FileNotFoundError) as exc:
        return snapshot_fail(snapshot_id=snapshot_id, error=f"unreadable image: {exc}")
    except Exception as exc:  # the engine itself failed: say so on the snapshot, once
        logger.exception("recognition of snapshot %s failed", snapshot_id)
        return snapshot_fail(snapshot_id=snapshot_id, error=f"recognition failed: {type(exc).__name__}: {exc}")
    embeddings = np.stack([face.embedding for face in faces]) if faces else np.zeros((0, 512), np.float32)
    crops = [encode_jpeg(face.crop) for face in faces]
    camera = snapshot.camera
    threshold = threshold_for(camera)  # the camera's own, else the calibrated global, else the engine's
    margin = settings.FACEAPP_MATCH_MARGIN
    gallery = _gallery_checked(embeddings)
    needs_strangers = _needs_strangers(gallery, embeddings, threshold, margin)
    # Two workers meeting the same new stranger at once would give them two labels.
    lock = redis_client().lock(STRANGERS_LOCK, timeout=60, blocking_timeout=30) if needs_strangers else None
    saved: list[str] = []
    try:
        with lock or contextlib.nullcontext(), transaction.atomic():
            # A re-delivered task (acks_late) may run beside or after the first delivery: the
            # row lock (SQLite: the IMMEDIATE transaction) lets one of them write, once.
            snapshot = Snapshot.objects.select_for_update().get(pk=snapshot_id)
            if snapshot.status in FINISHED:
                return snapshot
            seen_at = snapshot.received_at
            registry, rows = StrangerRegistry(), {}
            if needs_strangers:
                registry, rows = _strangers_load(engine.model_id, embeddings.shape[1])
            assignments = assign_identities(
                embeddings, gallery=gallery, strangers=registry, threshold=threshold, margin=margin,
                new_label=lambda: _stranger_create(engine.model_id, seen_at, rows),
            )
            people = Person.objects.in_bulk([a.person_id for a in assignments if a.known])
            for face, crop, assignment in zip(faces, crops, assignments):
                match = assignment.match
                stranger = rows.get(assignment.stranger_label) if assignment.stranger_label else None
                if stranger is not None:
                    stranger.embeddings = embedding_to_bytes(registry.examples(stranger.label))
                    stranger.last_seen = max(stranger.last_seen, seen_at)
                    stranger.sightings += 1
                    stranger.save(update_fields=["embeddings", "last_seen", "sightings"])
                person = people.get(assignment.person_id) if assignment.known else None
                log = MatchLog(
                    snapshot=snapshot, face_index=assignment.face_index,
                    box=[round(float(v), 1) for v in face.box], embedding=embedding_to_bytes(face.embedding),
                    model_id=face.model_id, quality=face.quality.as_dict(), person=person,
                    best_person_id=match.person_id,
                    similarity=match.similarity if match.person_id is not None else None,
                    margin=match.margin if match.person_id is not None else None, threshold=threshold,
                    provisional=stranger, assigned_id=person.display_id if person else assignment.stranger_label,
                    decision=MatchLog.KNOWN if person else MatchLog.UNKNOWN, created_at=seen_at,
                )
                log.crop.save("crop.jpg", ContentFile(crop), save=False)
                saved.append(log.crop.name)
                log.save()
            attendance_changed = attendance_mark(person_ids=list(people), seen_at=seen_at, camera=camera)
            snapshot.status, snapshot.error, snapshot.processed_at = Snapshot.DONE, "", timezone.now()
            snapshot.face_count = len(faces)
            snapshot.height, snapshot.width = pixels.shape[:2]
            snapshot.save(update_fields=["status", "error", "processed_at", "face_count", "width", "height"])
    except BaseException:
        # Rolled back: the crops written so far belong to no row.
        for name in saved:
            MatchLog.crop.field.storage.delete(name)
        raise
    _snapshot_push(snapshot, attendance_changed=attendance_changed)
    return snapshot


def _snapshot_push(snapshot: Snapshot, *, attendance_changed: bool) -> None:
    event = {"type": "recognition.result", **snapshot_payload(snapshot)}
    push(DASHBOARD_GROUP, event)
    if snapshot.camera_id:
        push(camera_group(snapshot.camera_id), event)
    if attendance_changed:
        push(DASHBOARD_GROUP, {"type": "attendance.update", "attendance": attendance_today()})


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _face_payload(log: MatchLog) -> dict:
    person = log.person
    label = person.name if person else (log.provisional.label if log.provisional else log.assigned_id)
    return {
        "log_id": log.pk,
        "face_index": log.face_index,
        "box": log.box,
        "decision": log.decision,
        "assigned_id": log.assigned_id,
        "label": label,
        "person": {"id": person.pk, "name": person.name, "code": person.code} if person else None,
        "provisional": log.provisional.label if log.provisional else None,
        "similarity": None if log.similarity is None else round(log.similarity, 4),
        "margin": None if log.margin is None else round(log.margin, 4),
        "crop_url": reverse("media-log-crop", args=[log.pk]) if log.crop else None,
    }


def snapshot_payload(snapshot: Snapshot) -> dict:
    """The JSON-ready result shared by the websocket events and the API (see README "Events"):
    {"snapshot": {...}, "faces": [...]}; the events add "type"."""
    camera = snapshot.camera
    logs = snapshot.logs.select_related("person", "provisional").order_by("face_index")
    return {
        "snapshot": {
            "id": snapshot.pk,
            "camera": {"id": camera.pk, "name": camera.name} if camera else None,
            "received_at": _iso(snapshot.received_at),
            "processed_at": _iso(snapshot.processed_at),
            "width": snapshot.width,
            "height": snapshot.height,
            "status": snapshot.status,
            "error": snapshot.error,
            "image_url": reverse("media-snapshot", args=[snapshot.pk]),
        },
        "faces": [_face_payload(log) for log in logs],
    }


def snapshot_wait(*, snapshot_id: int, timeout: float) -> Snapshot:
    """Poll until the snapshot is DONE or FAILED, or the timeout passes; return it fresh."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = Snapshot.objects.select_related("camera").get(pk=snapshot_id)
        if snapshot.status in FINISHED or time.monotonic() >= deadline:
            return snapshot
        time.sleep(0.2)
