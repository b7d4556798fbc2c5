"""Enrolment: people and their face samples."""

import datetime as dt
import hashlib
import time

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from identity.face_engine import get_face_engine
from identity.models import FaceSample, Person, embedding_to_bytes
from identity.presenters import sample_payload
from identity.services.duplicates import face_held_as, people_distinct
from identity.services.erasure import person_erase
from identity.services.failure_words import failure_words
from identity.services.files import file_bytes, file_names, files_delete_on_commit
from identity.services.gallery import gallery_changed, gallery_noted
from identity.services.queueing import stale_requeue, task_enqueue
from identity.services.realtime import DASHBOARD_GROUP, person_enrolment_group, push
from identity.services.uploads import ImageInput, image_check, image_read
from identity.vision import ImageError
from identity.vision.image import encode_jpeg
from identity.vision.quality import ENROLMENT_LIMITS, quality_problem
from integrations.hooks import enrolment_check

PhotoInput = ImageInput  # an upload, or (filename, bytes)


def person_code_clean(code: str | None, *, person_id: int | None = None) -> str | None:
    """The code trimmed (None when empty); ValidationError when someone else has it already."""
    code = (code or "").strip() or None
    if code and Person.objects.filter(code=code).exclude(pk=person_id).exists():
        raise ValidationError({"code": f"Another person already has the code {code}."})
    return code


def person_create(*, name: str, code: str | None = None, consent: bool, active: bool = True) -> Person:
    """Create a person. consent must be True (raises ValidationError otherwise); code unique."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "a name is required"})
    if consent is not True:
        raise ValidationError({"consent": "the person's consent is required to store their face"})
    return Person.objects.create(
        name=name, code=person_code_clean(code), active=active, consent_given_at=timezone.now()
    )


def person_update(*, person: Person, name: str, code: str | None, active: bool, actor=None) -> Person:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "a name is required"})
    code = person_code_clean(code, person_id=person.pk)
    # Field names only: the entry outlives an erased person, their name must not.
    changed = [field for field, value in (("name", name), ("code", code), ("active", active))
               if getattr(person, field) != value]
    person.name, person.code, person.active = name, code, active
    with transaction.atomic():
        person.save()
        if changed:
            audit_record(actor=actor, action=AuditEntry.PERSON_EDITED, person=person,
                         detail=", ".join(changed) + (" (now inactive)" if "active" in changed and not active else ""))
    if "active" in changed and not active:
        gallery_noted(people=[person.pk])  # they leave every process's gallery once it is committed
    elif "active" in changed:
        transaction.on_commit(gallery_changed)  # back: their samples come with a new base
    return person


def sample_add(*, person: Person, photo: PhotoInput, source: str = "upload", queue: bool = True) -> FaceSample:
    """Store the photo as a pending FaceSample and queue `identity.tasks.sample_process_task`
    after the transaction commits (`queue=False`: the caller runs sample_process itself). A file
    that is not a readable image (or is over the size / pixel caps) is stored as REJECTED at
    once with the reason, no task queued."""
    from identity.tasks import sample_process_task  # tasks import the services

    filename = (photo[0] if isinstance(photo, tuple) else photo.name or "")[-255:]
    data = b""
    try:
        data = image_read(photo)
        extension, _, _ = image_check(data)
    except ImageError as exc:
        # Not an image: nothing worth keeping, only the reason (and what it was, for an import run again).
        return FaceSample.objects.create(
            person=person, source=source, filename=filename, status=FaceSample.REJECTED, reason=str(exc),
            processed_at=timezone.now(), sha256=hashlib.sha256(data).hexdigest() if data else "",
        )
    sample = FaceSample(person=person, source=source, filename=filename, sha256=hashlib.sha256(data).hexdigest())
    sample.photo.save(f"photo.{extension}", ContentFile(data), save=False)
    sample.save()
    if queue:
        transaction.on_commit(lambda: task_enqueue(sample_process_task, sample.pk))
    return sample


def person_enroll(
    *, name: str, code: str | None = None, consent: bool, photos: list[PhotoInput], source: str = "upload",
    actor=None, distinct_from: Person | None = None,
) -> tuple[Person, list[FaceSample]]:
    """person_create + sample_add for each photo, in one transaction; `distinct_from`: the caller
    confirms the new person is not that enrolled one (people_distinct), so no photo is held as them."""
    # A person without their photos (or photos without their person) must never be visible.
    with transaction.atomic():
        person = person_create(name=name, code=code, consent=consent)
        if distinct_from is not None:
            people_distinct(person=person, other=distinct_from, actor=actor)
        samples = [sample_add(person=person, photo=photo, source=source) for photo in photos]
        audit_record(actor=actor, action=AuditEntry.PERSON_CREATED, person=person, detail=f"{len(photos)} photo(s)")
    return person, samples


def photos_add(*, person: Person, photos: list[PhotoInput], actor=None,
               distinct_from: Person | None = None) -> list[FaceSample]:
    """sample_add for each photo (its source from what it is: a webcam capture or an upload);
    `distinct_from` as person_enroll's."""
    with transaction.atomic():
        if distinct_from is not None:
            people_distinct(person=person, other=distinct_from, actor=actor)
        samples = [
            sample_add(person=person, photo=photo, source="webcam" if isinstance(photo, tuple) else "upload")
            for photo in photos
        ]
        audit_record(actor=actor, action=AuditEntry.PHOTOS_ADDED, person=person, detail=f"{len(photos)} photo(s)")
    return samples


def sample_delete(*, sample: FaceSample, actor=None) -> None:
    """Delete one photo of a person: its row, embedding, photo and crop; the gallery forgets it
    (identity.signals, after commit)."""
    with transaction.atomic():
        files_delete_on_commit(file_names(sample.photo, sample.crop))
        audit_record(actor=actor, action=AuditEntry.PHOTO_DELETED, person=sample.person,
                     detail=f"photo #{sample.pk} ({sample.get_status_display().lower()})")
        sample.delete()


def _face_problem(faces) -> str | None:
    if not faces:
        return "no face found"
    if len(faces) > 1:
        return f"{len(faces)} faces found: use a photo with one face"
    return quality_problem(faces[0].quality, ENROLMENT_LIMITS)  # the limits the enrolment pages list


def sample_process(*, sample_id: int) -> FaceSample:
    """The worker's job for one enrolment photo: detect → exactly one face → quality gate →
    embed → save aligned crop; ACCEPTED, or REJECTED with a reason ("no face found",
    "2 faces found: use a photo with one face", "face too small", "face too dark", "face blurred", ...).
    A face the gallery names as another enrolled person is HELD as them, with its embedding and
    crop, until an operator says whose it is (identity.services.duplicates).
    Idempotent. An accepted sample joins every process's gallery (gallery_noted: this one's at
    once, the others' through the change log after commit); pushes an `enrolment.sample` event."""
    sample = FaceSample.objects.get(pk=sample_id)
    if sample.status != FaceSample.PENDING:
        return sample
    engine = get_face_engine()
    faces, problem = [], None
    try:
        found = engine.analyze(file_bytes(sample.photo), with_flip=True)  # samples keep both embeddings
        faces = [face for face in found if not engine.too_small(face)] or found  # no bystander too small to name
        problem = _face_problem(faces)
    except (ImageError, FileNotFoundError) as exc:
        problem = failure_words(exc)
    crop_jpeg = None if problem else encode_jpeg(faces[0].crop)
    held = None if problem else face_held_as(engine=engine, face=faces[0], person_id=sample.person_id)

    with transaction.atomic():
        # Two deliveries of the same task: only the first one to lock a pending sample writes.
        sample = FaceSample.objects.select_for_update().filter(pk=sample_id).first()
        if sample is None or sample.status != FaceSample.PENDING:
            return sample or FaceSample.objects.get(pk=sample_id)
        sample.processed_at = timezone.now()
        if faces:
            sample.quality = faces[0].quality.as_dict()
        if problem:
            sample.status, sample.reason = FaceSample.REJECTED, problem
        else:
            face = faces[0]
            sample.status, sample.reason = (FaceSample.HELD, held.reason[:200]) if held else (FaceSample.ACCEPTED, "")
            sample.held_as = held.person if held else None
            sample.embedding = embedding_to_bytes(face.embedding)
            # A flip-mode sample's embedding is its flip embedding already.
            flip = face.flip_embedding if face.embedding_mode == "plain" else None
            sample.flip_embedding = None if flip is None else embedding_to_bytes(flip)
            sample.model_id = face.model_id
            sample.crop.save("crop.jpg", ContentFile(crop_jpeg), save=False)
        sample.save()
        if sample.status == FaceSample.ACCEPTED:
            gallery_noted(added=[sample.pk])  # this process's next duplicate check sees it already
    _sample_push(sample)
    enrolment_check(person_id=sample.person_id)  # the person's last pending photo: enrolment.finished
    return sample


def sample_fail(*, sample_id: int, error: str) -> FaceSample | None:
    """A sample the worker gave up on (retries exhausted, time limit) is REJECTED with the
    error rather than left pending forever; the operator can add the photo again."""
    FaceSample.objects.filter(pk=sample_id, status=FaceSample.PENDING).update(
        status=FaceSample.REJECTED, reason=f"could not be processed: {error}"[:200], processed_at=timezone.now()
    )
    sample = FaceSample.objects.filter(pk=sample_id).first()
    if sample is not None:
        _sample_push(sample)
        enrolment_check(person_id=sample.person_id)
    return sample


def _sample_push(sample: FaceSample) -> None:
    event = {"type": "enrolment.sample", "sample": sample_payload(sample)}
    push(person_enrolment_group(sample.person_id), event)
    push(DASHBOARD_GROUP, event)


def person_delete(*, person: Person, actor=None) -> None:
    """Erase a person and every copy of their face and name: `identity.services.erasure.person_erase`."""
    person_erase(person=person, actor=actor)


def samples_requeue_stale(*, older_than: dt.timedelta, batch: int = 1000) -> list[int]:
    """Queue again the enrolment photos still PENDING `older_than` after they were added (their
    task lost with a Redis that keeps nothing, or queued while the broker was down)."""
    from identity.tasks import sample_process_task  # tasks import the services

    stale = FaceSample.objects.filter(status=FaceSample.PENDING, created_at__lt=timezone.now() - older_than)
    ids = list(stale.order_by("created_at").values_list("pk", flat=True)[:batch])
    return stale_requeue(task=sample_process_task, object_ids=ids,
                         older_than_seconds=int(older_than.total_seconds()), what="sample")  # fmt: skip


def samples_wait(*, sample_ids: list[int], timeout: float) -> list[FaceSample]:
    """Poll until none of the samples is pending or the timeout passes; return them fresh."""
    deadline = time.monotonic() + timeout
    while True:
        samples = list(FaceSample.objects.filter(pk__in=sample_ids).order_by("id"))
        if all(s.status != FaceSample.PENDING for s in samples) or time.monotonic() >= deadline:
            return samples
        time.sleep(0.2)
