"""Erasure: every copy of a person's face and name leaves the disk, the database and Redis.

A person's erasure (`person_erase`, behind `enrolment.person_delete`) deletes their rows and
files, blacks out their face in every photo they shared with other faces (the file itself is
rewritten: the old pixels are gone), deletes the integration events naming them with their
entries in the `faceapp:events` stream, and removes every other Redis copy of their name or
code (channel-layer messages waiting for a socket, caches, MQTT bookkeeping) and the live
frames still waiting. Retention (`identity.services.retention`) calls `redis_forget` and
`integrations.events.events_forget` the same way for the strangers it deletes.
"""

import json
from pathlib import PurePosixPath

import cv2
import numpy as np
from django.db import transaction
from django.db.models import Q

from audit.models import AuditEntry
from audit.services import audit_record
from faceapp.redis_client import redis_client
from identity.face_engine import get_face_engine
from identity.events import person_erased, send_on_commit
from identity.models import FaceSample, MatchLog, Person, ProvisionalIdentity, Snapshot, embedding_from_bytes
from identity.services.calibration import threshold_for
from identity.services.files import file_bytes, file_names, file_rewrite, files_delete, files_delete_on_commit
from identity.services.frames import frames_discard
from identity.services.live_pictures import pictures_discard
from identity.services.gallery import gallery_changed, gallery_files_remove
from identity.services.logged_faces import logged_files_remove
from identity.services.queueing import task_enqueue
from identity.vision import ImageError
from identity.vision.image import decode_image, encode_jpeg
from imports.forget import imports_forget
from integrations.events import STREAM, events_forget

REDACT_MARGIN = 0.25  # of the box's size on each side: hair, ears and chin go with the face
ERASED = "[erased]"
_ENCODABLE = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}


def _expanded(box, width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * REDACT_MARGIN, (y2 - y1) * REDACT_MARGIN
    return (max(0, int(x1 - dx)), max(0, int(y1 - dy)), min(width, int(x2 + dx) + 1), min(height, int(y2 + dy) + 1))


def image_redact(*, field_file, boxes: list) -> bool:
    """Black out `boxes` ([x1, y1, x2, y2] in the decoded image's pixels) in a stored image and
    write the re-encoded bytes over it (the file, or the bucket's object); False when there is
    no readable file."""
    if not boxes or not field_file or not field_file.name:
        return False
    try:
        image = decode_image(file_bytes(field_file))
    except (FileNotFoundError, ImageError):
        return False
    height, width = image.shape[:2]
    for box in boxes:
        x1, y1, x2, y2 = _expanded(box, width, height)
        image[y1:y2, x1:x2] = 0
    suffix = PurePosixPath(field_file.name).suffix.lower()
    if suffix in {".jpg", ".jpeg"} or suffix not in _ENCODABLE:
        data = encode_jpeg(image, quality=85)
    else:
        ok, encoded = cv2.imencode(suffix, image)
        data = encoded.tobytes() if ok else encode_jpeg(image, quality=85)
    file_rewrite(field_file, data)
    return True


def _needles(texts) -> list[bytes]:
    needles = set()
    for text in texts:
        if text:
            needles |= {text.encode(), json.dumps(text)[1:-1].encode()}  # raw, and as JSON writes it
    return sorted(needles)


def _json_redacted(value: bytes, needles: list[bytes]) -> bytes | None:
    """The JSON value with every needle replaced, or None when it is not JSON that stays valid."""
    for needle in needles:
        value = value.replace(needle, ERASED.encode())
    try:
        json.loads(value)
    except ValueError:
        return None
    return value


def _hash_forget(client, key: bytes, needles: list[bytes], fields: set[bytes]) -> int:
    removed = 0
    for field, value in client.hgetall(key).items():
        if field in fields or any(n in field for n in needles):
            removed += client.hdel(key, field)
        elif any(n in value for n in needles):
            # A redacted JSON value keeps the bookkeeping (the MQTT bridge clears topics from it).
            redacted = _json_redacted(value, needles)
            if redacted is None:
                client.hdel(key, field)
            else:
                client.hset(key, field, redacted)
            removed += 1
    return removed


def redis_forget(*, texts: list[str], person_id: int | None = None) -> int:
    """Remove every copy of `texts` (names, codes, stranger labels) from the app's keys in
    Redis/Valkey (`faceapp*`: caches, channel-layer messages, MQTT state, the pages' replay
    logs), and the person's presence/enrolment keys; drop the live frames waiting and the live pictures. Returns the copies removed.
    The events stream is `integrations.events.events_forget`'s; Celery's queues hold ids only."""
    client, needles, removed = redis_client(), _needles(texts), frames_discard() + pictures_discard()
    fields = {str(person_id).encode()} if person_id is not None else set()
    id_keys = [f":enrolment:{person_id}:".encode()] if person_id is not None else []
    for key in client.scan_iter(match="faceapp*", count=500):
        if key == STREAM.encode():
            continue
        kind = client.type(key).decode()
        if kind == "string":
            value = client.get(key) or b""
            if any(n in key or n in value for n in needles + id_keys):
                removed += client.delete(key)
        elif kind == "hash":
            removed += _hash_forget(client, key, needles, fields if key.endswith(b":presence") else set())
        elif kind == "list":
            for item in set(client.lrange(key, 0, -1)):
                if any(n in item for n in needles):
                    removed += client.lrem(key, 0, item)
        elif kind == "set":
            removed += sum(client.srem(key, m) for m in client.smembers(key) if any(n in m for n in needles))
        elif kind == "zset":
            removed += sum(client.zrem(key, m) for m in client.zrange(key, 0, -1) if any(n in m for n in needles))
        elif kind == "stream":  # the pages' replay logs (identity.services.realtime)
            named = [entry_id for entry_id, fields in client.xrange(key)
                     if any(n in value for value in fields.values() for n in needles)]
            removed += client.xdel(key, *named) if named else 0
    return removed


def snapshots_redact(*, logs, keep_rows: bool = False) -> tuple[list[tuple], int]:
    """Before `logs` are deleted (or stripped of their faces): black out their faces in the
    snapshots they share with other faces, rewriting those files; return the files of the
    snapshots showing nobody else, to delete, and the count of snapshots rewritten. Those
    snapshots' rows are deleted, or with `keep_rows` (retention: the logs stay) their image
    file is deleted at once and the field blanked."""
    boxes: dict[int, list] = {}
    for snapshot_id, box in logs.values_list("snapshot_id", "box"):
        boxes.setdefault(snapshot_id, []).append(box)
    others = set(MatchLog.objects.filter(snapshot_id__in=boxes).exclude(pk__in=logs.values("pk"))
                 .values_list("snapshot_id", flat=True))  # fmt: skip
    files, redacted = [], 0
    for snapshot in Snapshot.objects.filter(pk__in=boxes).exclude(image="").only("id", "image"):
        if snapshot.pk in others:
            redacted += image_redact(field_file=snapshot.image, boxes=boxes[snapshot.pk])
        else:  # a picture of them alone
            files += file_names(snapshot.image)
    alone = Snapshot.objects.filter(pk__in=set(boxes) - others)
    if keep_rows:
        files_delete(files)
        alone.update(image="")
        return [], redacted
    alone.delete()
    return files, redacted


def _frames_overlapping(logs):
    """The evidence frames of other visits at the same camera while theirs lasted: the whole
    frame is kept, so it may show them too (beside the face it was kept for)."""
    match = Q()
    for camera_id, first, last in logs.filter(snapshot__camera__isnull=False).values_list(
            "snapshot__camera_id", "created_at", "last_seen"):
        match |= Q(snapshot__camera_id=camera_id, created_at__lte=last, last_seen__gte=first)
    if not match:
        return Snapshot.objects.none()
    others = MatchLog.objects.filter(match).exclude(pk__in=logs.values("pk")).values("snapshot_id")
    return Snapshot.objects.filter(pk__in=others).exclude(pk__in=logs.values("snapshot_id")).exclude(image="")


def frames_redact(*, logs, embeddings: list[np.ndarray]) -> int:
    """Find the face of `embeddings`' owner in the overlapping evidence frames (the face
    engine, the camera's threshold) and black it out; returns the frames rewritten."""

    frames = list(_frames_overlapping(logs).select_related("camera"))
    if not frames or not embeddings:
        return 0
    engine, rewritten = get_face_engine(), 0
    for snapshot in frames:
        try:
            faces = engine.analyze(file_bytes(snapshot.image))
        except (FileNotFoundError, ImageError):
            continue
        known = [e for e in embeddings if faces and e.shape == faces[0].embedding.shape]
        threshold = threshold_for(snapshot.camera)
        boxes = [face.box.tolist() for face in faces if known and float((np.stack(known) @ face.embedding).max()) >= threshold]
        rewritten += image_redact(field_file=snapshot.image, boxes=boxes)
    return rewritten


def embeddings_of(*querysets) -> list[np.ndarray]:
    """The embeddings stored on rows (samples, logs) still holding one."""
    rows = [data for queryset in querysets for data in queryset.exclude(embedding=b"").values_list("embedding", flat=True)]
    return [embedding_from_bytes(bytes(data)) for data in rows if data]


def _held_as_them_checked_again(person: Person) -> None:
    """Other people's photos held as them (their name in the reason) are checked again, without them."""
    from identity.tasks import sample_process_task  # tasks import the services

    held = list(FaceSample.objects.filter(held_as=person, status=FaceSample.HELD).values_list("pk", flat=True))
    FaceSample.objects.filter(pk__in=held).update(status=FaceSample.PENDING, reason="", held_as=None)
    for sample_id in held:
        transaction.on_commit(lambda sample_id=sample_id: task_enqueue(sample_process_task, sample_id))


def person_erase(*, person: Person, actor=None) -> None:
    """Erase a person: rows, photos, crops, embeddings, their match logs' crops, their face in
    shared snapshots, their events (rows and stream entries) and every Redis copy of them.

    Also every row of other apps naming them (their person foreign keys cascade: attendance)
    and the provisional identities promoted to them (with those strangers' sightings). Files
    leave the disk once the deletion is committed; shared snapshots are rewritten at once (a
    rollback would not bring their old pixels back). identity.events.person_erased follows.
    """
    files: list[str] = []
    with transaction.atomic():
        # A worker logging a new sighting of them waits on this lock (the FK check) until we are done.
        person = Person.objects.select_for_update().get(pk=person.pk)
        texts = [person.name, person.code]
        for sample in FaceSample.objects.filter(person=person):
            files += file_names(sample.photo, sample.crop)
        promoted = ProvisionalIdentity.objects.filter(promoted_to=person)
        labels = [label for label in promoted.values_list("label", flat=True) if label]
        # Their logs, those a reviewer gave them, and the sightings of the stranger who was them.
        logs = MatchLog.objects.filter(Q(person=person) | Q(reviewed_person=person) | Q(provisional__in=promoted))
        visit_ids = list(logs.values_list("pk", flat=True))
        frames_redact(logs=logs, embeddings=embeddings_of(FaceSample.objects.filter(person=person), logs))
        files += [name for log in logs for name in file_names(log.crop)]
        snapshot_files, _ = snapshots_redact(logs=logs)
        files += snapshot_files
        MatchLog.objects.filter(pk__in=visit_ids).delete()
        promoted.delete()
        events_forget(person_id=person.pk, provisional=labels, visit_ids=visit_ids)
        imports_forget(person_id=person.pk, name=person.name, code=person.code)
        _held_as_them_checked_again(person)
        person_id = person.pk
        person.delete()  # cascades to the samples (and their embeddings) and their attendance
        audit_record(actor=actor, action=AuditEntry.PERSON_ERASED, person_ref=person_id,
                     detail=f"{len(visit_ids)} face(s) and their files erased")
        files_delete_on_commit(files)
        transaction.on_commit(gallery_changed)
        transaction.on_commit(gallery_files_remove)  # this machine's copies of their embeddings, at once
        transaction.on_commit(logged_files_remove)  # their logged faces' too
        transaction.on_commit(lambda: redis_forget(texts=[*texts, *labels], person_id=person_id))
        send_on_commit(person_erased, person_id=person_id)
