"""Recognition: snapshots in, match logs, provisional IDs and visit events (identity.events) out."""

import datetime as dt
import logging
import time

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from identity.events import Sighting, send_on_commit, visit_opened
from identity.face_engine import get_face_engine
from identity.live.recognizer import Recognizer
from identity.matching import Assignment, refine_face_matches
from identity.models import Camera, MatchLog, Person, ProvisionalIdentity, Snapshot, embedding_to_bytes
from identity.presenters import recognition_event
from identity.services.calibration import threshold_for
from identity.services.failure_words import failure_words
from identity.services.files import file_bytes, files_delete
from identity.services.gallery import gallery_current, gallery_noted
from identity.services.queueing import stale_requeue, task_enqueue
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push
from identity.services.recognizer import recognizer_current, stranger_seen
from identity.services.uploads import ImageInput, image_check, image_read
from identity.vision import Face, FaceEngine, ImageError
from identity.vision.image import encode_jpeg
from integrations.hooks import snapshot_faces

__all__ = [
    "snapshot_fail", "snapshot_recognize", "snapshot_retry", "snapshot_submit", "snapshot_wait", "snapshots_requeue_stale",
]

logger = logging.getLogger(__name__)

FINISHED = (Snapshot.DONE, Snapshot.FAILED)
# Starts of one snapshot that may end without a result (worker killed, time limit) before it
# is given up: above the task's 1 + 5 retries, so only a poison image ever reaches it.
MAX_ATTEMPTS = 8
REQUEUE_BATCH = 1000
UPLOADS_CAMERA_NAME = "Uploads"


def snapshot_submit(*, image: ImageInput, camera: Camera | None = None, user=None) -> Snapshot:
    """Check the image cheaply (type sniffing, byte and pixel caps from the header: raises
    identity.vision.ImageError with a clear reason), store it as a PENDING snapshot and queue
    `identity.tasks.snapshot_recognize_task` after commit (a broker outage is logged and the
    snapshot stays PENDING)."""
    from identity.tasks import snapshot_recognize_task  # tasks import the services

    data = image_read(image)
    extension, width, height = image_check(data)
    submitted_by = user if user is not None and user.is_authenticated else None
    snapshot = Snapshot(camera=camera, submitted_by=submitted_by, width=width, height=height)
    snapshot.image.save(f"snapshot.{extension}", ContentFile(data), save=False)
    snapshot.save()
    transaction.on_commit(lambda: task_enqueue(snapshot_recognize_task, snapshot.pk))
    return snapshot


def uploads_camera() -> Camera:
    """The source photos uploaded on the page are filed under when no camera is chosen."""
    camera, _ = Camera.objects.get_or_create(name=UPLOADS_CAMERA_NAME, defaults={"kind": Camera.UPLOAD})
    return camera


def snapshot_fail(*, snapshot_id: int, error: str) -> Snapshot | None:
    """Mark the snapshot FAILED with `error` (unless it is DONE) and push the result; None
    when it is gone. Admins see the error and can retry it (snapshot_retry)."""
    Snapshot.objects.filter(pk=snapshot_id).exclude(status=Snapshot.DONE).update(
        status=Snapshot.FAILED, error=error[:2000], processed_at=timezone.now()
    )
    snapshot = Snapshot.objects.select_related("camera").filter(pk=snapshot_id).first()
    if snapshot is not None:
        _snapshot_push(snapshot, logs=[])
    return snapshot


def snapshot_retry(*, snapshot: Snapshot) -> Snapshot:
    """Queue a FAILED (or still PENDING) snapshot again: back to PENDING, no error, attempts
    counted afresh. Raises ValidationError for one that is DONE or being processed."""
    from identity.tasks import snapshot_recognize_task  # tasks import the services

    # A worker picking it up before the reset commits would find it still FAILED and skip it.
    with transaction.atomic():
        reset = Snapshot.objects.filter(pk=snapshot.pk, status__in=Snapshot.RETRYABLE).update(
            status=Snapshot.PENDING, error="", processed_at=None, attempts=0
        )
        if not reset:
            status = Snapshot.objects.filter(pk=snapshot.pk).values_list("status", flat=True).first() or "gone"
            raise ValidationError(f"snapshot {snapshot.pk} is {status}: only a failed or pending one can be retried")
        transaction.on_commit(lambda: task_enqueue(snapshot_recognize_task, snapshot.pk))
    # As reset, not re-read: a worker may already have taken it by now.
    snapshot.status, snapshot.error, snapshot.processed_at, snapshot.attempts = Snapshot.PENDING, "", None, 0
    return snapshot


def snapshots_requeue_stale(*, older_than: dt.timedelta) -> list[int]:
    """Queue again the snapshots still PENDING or PROCESSING `older_than` after they arrived
    (uploads.stale_requeue). Returns the ids."""
    from identity.tasks import snapshot_recognize_task  # tasks import the services

    stale = Snapshot.objects.filter(
        status__in=(Snapshot.PENDING, Snapshot.PROCESSING), received_at__lt=timezone.now() - older_than
    ).order_by("received_at").values_list("pk", flat=True)[:REQUEUE_BATCH]
    return stale_requeue(task=snapshot_recognize_task, object_ids=list(stale),
                         older_than_seconds=int(older_than.total_seconds()), what="snapshot")  # fmt: skip


def _active_people(assignments: list[Assignment]) -> dict[int, Person]:
    named = [a.person_id for a in assignments if a.known]
    return Person.objects.filter(pk__in=named, active=True).in_bulk() if named else {}


def _decide(recognizer: Recognizer, engine: FaceEngine, faces: list[Face], embeddings: np.ndarray,
            threshold: float) -> list[Assignment]:
    matches = recognizer.search(embeddings)
    # Adaptive flip: the faces whose decision is close are mirrored and decided again.
    refined = refine_face_matches(engine=engine, faces=faces, matches=matches, gallery=recognizer.gallery,
                                  threshold=threshold, margin=recognizer.thresholds.margin)
    return recognizer.assign(embeddings, name_threshold=threshold, matches=refined.matches)


def _assign(recognizer: Recognizer, engine: FaceEngine, faces: list[Face], embeddings: np.ndarray,
            threshold: float) -> tuple[list[Assignment], dict]:
    """Every face named or given a stranger's label, and the active people named. A person
    deleted or deactivated since this process's gallery was loaded is dropped from it first."""
    assignments = _decide(recognizer, engine, faces, embeddings, threshold)
    people = _active_people(assignments)
    if len(people) < len({a.person_id for a in assignments if a.known}):
        # Deleted or deactivated, not logged yet: left out of this process's gallery now.
        gallery_noted(people=[a.person_id for a in assignments if a.known and a.person_id not in people], push=False)
        recognizer.set_gallery(gallery_current())
        assignments = _decide(recognizer, engine, faces, embeddings, threshold)
        people = _active_people(assignments)
    return assignments, people


def _decision_fields(assignment: Assignment | None, people: dict, strangers: dict) -> dict:
    """A face's MatchLog decision: named, a stranger, or (no assignment) too small to name."""
    if assignment is None:
        return {"decision": MatchLog.TOO_SMALL, "assigned_id": ""}
    match = assignment.match
    person = people.get(assignment.person_id) if assignment.known else None
    found = match.person_id is not None
    return {
        "person": person, "best_person_id": match.person_id, "similarity": match.similarity if found else None,
        "margin": match.margin if found else None,
        "provisional": strangers.get(assignment.stranger_label) if person is None else None,
        "assigned_id": person.display_id if person else assignment.stranger_label,
        "decision": MatchLog.KNOWN if person else MatchLog.UNKNOWN,
    }


def snapshot_recognize(*, snapshot_id: int) -> Snapshot:
    """The worker's job: detect all faces, embed in one batch, decide each with the process's
    recognizer (identity.services.recognizer), store MatchLog rows + crops (each face a
    one-frame visit: a named one sends identity.events.visit_opened once it commits), then push
    a `recognition.result` event (identity.presenters) to the dashboard group and the camera's group. Idempotent: a
    re-delivered snapshot that is DONE is not processed again and never gets duplicate logs.
    Bad images → FAILED + error."""
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
        pixels = engine.load_image(file_bytes(snapshot.image))
        faces = engine.analyze(pixels)  # all faces embedded in one batched ONNX call
    except (ImageError, FileNotFoundError) as exc:
        return snapshot_fail(snapshot_id=snapshot_id, error=failure_words(exc))
    except Exception as exc:  # the engine itself failed: say so on the snapshot, once
        logger.exception("recognition of snapshot %s failed", snapshot_id)
        return snapshot_fail(snapshot_id=snapshot_id, error=f"recognition failed: {failure_words(exc)}")
    crops = [encode_jpeg(face.crop) for face in faces]
    camera = snapshot.camera
    threshold = threshold_for(camera)  # the camera's own, else the calibrated global, else the 1:N default
    recognizer = recognizer_current()
    # Faces under the model's name size are reported too small, never guessed nor made strangers.
    nameable = [face for face in faces if not engine.too_small(face)]
    embeddings = np.stack([face.embedding for face in nameable]) if nameable else np.zeros((0, 512), np.float32)
    # Outside the transaction: a new stranger's row commits at once, so its label stays valid
    # in this process's memory even if the snapshot's writes roll back.
    decided, people = _assign(recognizer, engine, nameable, embeddings, threshold)
    in_order = iter(decided)
    assignments = [None if engine.too_small(face) else next(in_order) for face in faces]
    labels = {a.stranger_label for a in decided if a.stranger_label}
    saved: list[str] = []
    logs: list[MatchLog] = []
    try:
        with transaction.atomic():
            # A re-delivered task (acks_late) may run beside or after the first delivery: the
            # row lock (SQLite: the IMMEDIATE transaction) lets one of them write, once.
            snapshot = Snapshot.objects.select_related("camera").select_for_update(of=("self",)).get(pk=snapshot_id)
            if snapshot.status in FINISHED:
                return snapshot
            seen_at = snapshot.received_at
            strangers = ProvisionalIdentity.objects.in_bulk(labels, field_name="label") if labels else {}
            for label in strangers:
                stranger_seen(recognizer=recognizer, label=label, seen_at=seen_at)
            for face_index, (face, crop, assignment) in enumerate(zip(faces, crops, assignments)):
                log = MatchLog(
                    snapshot=snapshot, face_index=face_index,
                    box=[round(float(v), 1) for v in face.box], embedding=embedding_to_bytes(face.embedding),
                    model_id=face.model_id, quality=face.quality.as_dict(), threshold=threshold, created_at=seen_at,
                    **_decision_fields(assignment, people, strangers),
                )
                log.crop.save("crop.jpg", ContentFile(crop), save=False)
                saved.append(log.crop.name)
                log.save()
                logs.append(log)
            visits_opened(snapshot=snapshot, logs=logs)
            snapshot.status, snapshot.error, snapshot.processed_at = Snapshot.DONE, "", timezone.now()
            snapshot.face_count = len(faces)
            snapshot.height, snapshot.width = pixels.shape[:2]
            snapshot.save(update_fields=["status", "error", "processed_at", "face_count", "width", "height"])
    except BaseException:
        files_delete(saved)  # rolled back: the crops written so far belong to no row
        raise
    _snapshot_push(snapshot, logs=logs)
    return snapshot


def visits_opened(*, snapshot: Snapshot, logs: list[MatchLog]) -> None:
    """Each named face of a photo is a one-frame visit that opens: told once it commits."""
    for log in logs:
        if log.person_id is not None:
            send_on_commit(visit_opened, sighting=Sighting(person_id=log.person_id, seen_at=snapshot.received_at,
                                                           camera_id=snapshot.camera_id, log_id=log.pk))


def _snapshot_push(snapshot: Snapshot, *, logs: list[MatchLog]) -> None:
    event = recognition_event(snapshot, logs=logs)
    push(DASHBOARD_GROUP, event)
    if snapshot.camera_id:
        push(camera_group(snapshot.camera_id), event)
    snapshot_faces(snapshot=snapshot, logs=logs)  # each face a one-frame visit: its events


def snapshot_wait(*, snapshot_id: int, timeout: float) -> Snapshot:
    """Poll until the snapshot is DONE or FAILED, or the timeout passes; return it fresh."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = Snapshot.objects.select_related("camera").get(pk=snapshot_id)
        if snapshot.status in FINISHED or time.monotonic() >= deadline:
            return snapshot
        time.sleep(0.2)
