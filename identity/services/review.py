"""Reviewing match logs: confirm, reject, reassign, promote a stranger, add a face as a sample.

History is never edited silently: a log keeps what the system decided (person, best_person,
similarity, decision); the review lives in review_status / reviewed_person / reviewed_by /
reviewed_at, and every action adds a MatchLogReview audit row. Each action sends
identity.events.faces_recounted once it commits (whom each face counted for before and after),
so that attendance always follows the reviewed truth.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from identity.events import Recount, faces_recounted, send_on_commit
from identity.models import FaceSample, MatchLog, MatchLogReview, Person, ProvisionalIdentity, embedding_from_bytes
from identity.selectors import effective_person_id
from identity.services.duplicates import DuplicateFace, embeddings_held_as, people_distinct
from identity.services.enrolment import person_code_clean
from identity.services.files import file_bytes
from identity.services.gallery import gallery_noted
from identity.services.recognizer import strangers_changed

PROMOTE_SAMPLES = 3  # best faces of a promoted stranger that become their enrolled samples
ACTION_TEXT = dict(MatchLogReview.ACTION_CHOICES)


def _moved(from_id: int | None, to_id: int | None) -> str:
    """Whom a review took a face from and gave it to, by number: the entry outlives an erased person."""
    return f"#{from_id or '–'} → #{to_id or '–'}"


def _confirmed_person(log: MatchLog) -> Person | None:
    """Whom a confirmation gives the face to: the person of a known face, nobody for an unknown one."""
    return log.person if log.decision == MatchLog.KNOWN else None


def _scores_lowered(log: MatchLog) -> bool:
    """A rejected face that was named someone lowers their score for look-alikes (identity.matching)."""
    return log.person_id is not None


def _recount(log: MatchLog, before_person_id: int | None) -> Recount:
    return Recount(log_id=log.pk, seen_at=log.created_at, camera_id=log.snapshot.camera_id,
                   before_person_id=before_person_id, after_person_id=effective_person_id(log))


def _after_commit(recounts: list[Recount], *, gallery: bool = False) -> None:
    """The faces recounted, told after commit; `gallery`: the rejections changed, every gallery
    reads them again."""
    if gallery:
        transaction.on_commit(lambda: gallery_noted(rejections=True))
    if recounts:
        send_on_commit(faces_recounted, recounts=tuple(recounts))


def _review(
    log: MatchLog, *, user, action: str, status: str, to_person: Person | None, note: str = "", audited: bool = True
) -> tuple[MatchLog, Recount]:
    """Record one review on a locked log (call inside atomic), in the audit log too unless the
    caller audits the whole action itself; returns whom the face counted for before and after."""
    log = MatchLog.objects.select_for_update().select_related("snapshot").get(pk=log.pk)
    from_person_id = effective_person_id(log)
    log.review_status = status
    log.reviewed_person = to_person
    log.reviewed_by = user
    log.reviewed_at = timezone.now()
    log.review_note = note[:200]
    log.save(update_fields=["review_status", "reviewed_person", "reviewed_by", "reviewed_at", "review_note"])
    MatchLogReview.objects.create(
        log=log, action=action, user=user, from_person_id=from_person_id, to_person=to_person, note=note[:200]
    )
    if audited:
        audit_record(actor=user, action=AuditEntry.REVIEW_DECIDED, person=to_person, target=f"face #{log.pk}",
                     detail=f"{ACTION_TEXT[action]}: {_moved(from_person_id, to_person.pk if to_person else None)}")
    return log, _recount(log, from_person_id)


def log_confirm(*, log: MatchLog, user) -> MatchLog:
    """The system was right: a known face is that person, an unknown face is nobody enrolled."""
    # Two reviewers deciding the same log at once: the row lock orders them, both are audited.
    with transaction.atomic():
        log, recount = _review(log, user=user, action=MatchLogReview.CONFIRM, status=MatchLog.CONFIRMED,
                               to_person=_confirmed_person(log))
        _after_commit([recount])
    return log


def log_reject(*, log: MatchLog, user, note: str = "") -> MatchLog:
    """Not this person: the face counts for nobody (it stops being attendance evidence)."""
    # Two reviewers deciding the same log at once: the row lock orders them, both are audited.
    with transaction.atomic():
        log, recount = _review(
            log, user=user, action=MatchLogReview.REJECT, status=MatchLog.REJECTED, to_person=None, note=note
        )
        _after_commit([recount], gallery=_scores_lowered(log))
    return log


def log_reassign(*, log: MatchLog, person: Person, user, note: str = "") -> MatchLog:
    """It is `person`: the face becomes their attendance evidence (reassigning to the decided
    person of a known face is a confirmation)."""
    status = MatchLog.CONFIRMED if (log.decision == MatchLog.KNOWN and log.person_id == person.pk) else MatchLog.REASSIGNED
    action = MatchLogReview.CONFIRM if status == MatchLog.CONFIRMED else MatchLogReview.REASSIGN
    # Two reviewers deciding the same log at once: the row lock orders them, both are audited.
    with transaction.atomic():
        log, recount = _review(log, user=user, action=action, status=status, to_person=person, note=note)
        _after_commit([recount])
    return log


def log_review_undo(*, log: MatchLog, user) -> MatchLog:
    """Back to unreviewed: the face counts as the system decided again (attendance follows, and a
    rejection stops lowering that person's score). A face enrolled as a sample or a promoted
    stranger's face is not undone here: delete the sample on the person's page instead."""
    # Two reviewers at once: the row lock orders the undo and a new decision; both are audited.
    with transaction.atomic():
        log = MatchLog.objects.select_for_update().select_related("snapshot").get(pk=log.pk)
        if log.review_status == MatchLog.UNREVIEWED:
            raise ValidationError("This face is not reviewed: there is nothing to undo.")
        last = log.reviews.first()
        if last is not None and last.action in (MatchLogReview.ADD_SAMPLE, MatchLogReview.PROMOTE):
            raise ValidationError(f"{last.get_action_display()} is not undone here: delete the sample on the "
                                  "person's page instead.")
        was_rejection = log.review_status == MatchLog.REJECTED and _scores_lowered(log)
        from_person_id = effective_person_id(log)
        log.review_status, log.reviewed_person, log.reviewed_by, log.reviewed_at, log.review_note = (
            MatchLog.UNREVIEWED, None, None, None, "")
        log.save(update_fields=["review_status", "reviewed_person", "reviewed_by", "reviewed_at", "review_note"])
        MatchLogReview.objects.create(log=log, action=MatchLogReview.UNDO, user=user, from_person_id=from_person_id,
                                      to_person=log.person)
        audit_record(actor=user, action=AuditEntry.REVIEW_UNDONE, person=log.person, target=f"face #{log.pk}",
                     detail=f"back to the system's decision: {_moved(from_person_id, log.person_id)}")
        _after_commit([_recount(log, from_person_id)], gallery=was_rejection)
    return log


def _sample_from_log(log: MatchLog, person: Person) -> FaceSample:
    """An ACCEPTED sample with its own copy of the log's crop (the log's crop expires sooner)."""
    if not log.crop or not log.embedding:
        raise ValidationError("This face has no crop or embedding left (expired): it cannot become a sample.")
    crop_bytes = file_bytes(log.crop)
    sample = FaceSample(
        person=person,
        embedding=bytes(log.embedding),
        model_id=log.model_id,
        status=FaceSample.ACCEPTED,
        quality=log.quality,
        source="review",
        processed_at=timezone.now(),
    )
    sample.crop.save("review.jpg", ContentFile(crop_bytes), save=False)
    sample.save()
    return sample


def log_add_as_sample(*, log: MatchLog, user) -> FaceSample:
    """Enrol this face for the person it (effectively) shows; an unreviewed log is confirmed
    by it. Every process's gallery adds it after commit (gallery_noted)."""
    # Two reviewers deciding the same log at once: the row lock orders them, both are audited.
    with transaction.atomic():
        locked = MatchLog.objects.select_for_update().get(pk=log.pk)
        person_id = effective_person_id(locked)
        if person_id is None:
            raise ValidationError("This face is not assigned to anyone: reassign it to a person first.")
        person = Person.objects.get(pk=person_id)
        status = MatchLog.CONFIRMED if locked.review_status == MatchLog.UNREVIEWED else locked.review_status
        locked, recount = _review(
            locked, user=user, action=MatchLogReview.ADD_SAMPLE, status=status, to_person=person,
            note=locked.review_note,
        )
        sample = _sample_from_log(locked, person)
        gallery_noted(added=[sample.pk])
        _after_commit([recount])
    return sample


def provisional_promote(
    *, provisional: ProvisionalIdentity, name: str, code: str | None = None, user, samples: int = PROMOTE_SAMPLES,
    distinct_from: Person | None = None,
) -> Person:
    """Turn a stranger into a new person (the operator asserts consent): see _stranger_to_person.
    DuplicateFace when the gallery names their faces as someone enrolled (name them as that
    person instead), unless `distinct_from` is that person: different people (people_distinct)."""
    name = name.strip()
    if not name:
        raise ValidationError("A name is required.")
    # Two operators naming the same stranger at once must not create two people.
    with transaction.atomic():
        provisional = _stranger_locked(provisional)
        code = person_code_clean(code)
        try:
            person = Person.objects.create(name=name, code=code, consent_given_at=timezone.now())
        except IntegrityError as error:
            raise ValidationError(f"Another person already has the code {code}.") from error  # taken meanwhile
        if distinct_from is not None:
            people_distinct(person=person, other=distinct_from, actor=user)
        held = embeddings_held_as(embeddings=_unnamed_faces(provisional), person_id=person.pk)
        if held is not None:
            raise DuplicateFace(held)  # nothing of this naming is kept
        _stranger_to_person(provisional, person, user=user, samples=samples)
    return person


def provisional_assign(
    *, provisional: ProvisionalIdentity, person: Person, user, samples: int = PROMOTE_SAMPLES
) -> Person:
    """The stranger is someone already enrolled: their faces go to `person` (see _stranger_to_person)."""
    # Two operators at once: the stranger's row lock lets only the first one move the faces.
    with transaction.atomic():
        _stranger_to_person(_stranger_locked(provisional), person, user=user, samples=samples)
    return person


def _unnamed_faces(provisional: ProvisionalIdentity, *, limit: int = 50) -> list:
    """The embeddings of the stranger's newest faces that no reviewer gave to someone: those that would be theirs."""
    logs = provisional.logs.exclude(embedding=None).order_by("-id")[:limit]
    return [embedding_from_bytes(log.embedding) for log in logs if log.embedding and effective_person_id(log) is None]


def _stranger_locked(provisional: ProvisionalIdentity) -> ProvisionalIdentity:
    provisional = ProvisionalIdentity.objects.select_for_update().get(pk=provisional.pk)
    if provisional.promoted_to_id:
        raise ValidationError(f"{provisional.label} is already {provisional.promoted_to}.")
    return provisional


def _stranger_to_person(provisional: ProvisionalIdentity, person: Person, *, user, samples: int) -> None:
    """Every face of the stranger that no reviewer gave to someone else moves to `person`, and
    their best `samples` faces become enrolled samples so the cameras recognise them from now on."""
    provisional.promoted_to = person
    provisional.save(update_fields=["promoted_to"])
    transaction.on_commit(strangers_changed)  # no process may give that label to a face again
    recounts = []
    moved = []
    for log in provisional.logs.select_related("snapshot").order_by("id"):
        if effective_person_id(log) is not None:
            continue  # a reviewer already said who this is
        log, recount = _review(
            log, user=user, action=MatchLogReview.PROMOTE, status=MatchLog.REASSIGNED, to_person=person,
            note=f"{provisional.label} promoted", audited=False,
        )
        recounts.append(recount)
        moved.append(log)
    best = sorted(
        (log for log in moved if log.crop and log.embedding),
        key=lambda log: (-float((log.quality or {}).get("score", 0.0)), log.pk),
    )
    gallery_noted(added=[_sample_from_log(log, person).pk for log in best[:samples]])
    audit_record(actor=user, action=AuditEntry.STRANGER_NAMED, person=person, target=provisional.label,
                 detail=f"{len(moved)} face(s) moved, {len(best[:samples])} enrolled")
    _after_commit(recounts)


def provisional_merge(*, keep: ProvisionalIdentity, drop: ProvisionalIdentity, user) -> ProvisionalIdentity:
    """Two strangers are one: `drop`'s faces, sightings and examples join `keep`, and `drop` is gone."""
    if keep.pk == drop.pk:
        raise ValidationError("A stranger cannot be merged with themselves.")
    # A camera seeing either stranger meanwhile waits on these locks (taken in id order: no deadlock).
    with transaction.atomic():
        locked = {p.pk: _stranger_locked(p) for p in sorted((keep, drop), key=lambda p: p.pk)}
        keep, drop = locked[keep.pk], locked[drop.pk]
        # Whole rows, keep's last: the registry keeps each stranger's newest examples when it loads.
        keep.embeddings = bytes(drop.embeddings) + bytes(keep.embeddings)
        keep.sightings += drop.sightings
        keep.first_seen, keep.last_seen = min(keep.first_seen, drop.first_seen), max(keep.last_seen, drop.last_seen)
        keep.save(update_fields=["embeddings", "sightings", "first_seen", "last_seen"])
        MatchLog.objects.filter(provisional=drop, assigned_id=drop.label).update(assigned_id=keep.label)
        MatchLog.objects.filter(provisional=drop).update(provisional=keep)
        audit_record(actor=user, action=AuditEntry.STRANGERS_MERGED, target=f"{drop.label} into {keep.label}",
                     detail=f"{drop.sightings} sighting(s) moved")
        drop.delete()
        transaction.on_commit(strangers_changed)  # every recognizer forgets the label that is gone
    return keep


BULK_ACTIONS = {MatchLogReview.CONFIRM: MatchLog.CONFIRMED, MatchLogReview.REJECT: MatchLog.REJECTED}


def logs_review_bulk(*, logs: list[MatchLog], action: str, user) -> int:
    """Confirm or reject a whole group of faces in one action (one audit entry); returns how many."""
    if action not in BULK_ACTIONS:
        raise ValidationError(f"A group of faces is confirmed or rejected, not {action!r}.")
    # Another reviewer deciding one of these faces meanwhile: each row lock orders them.
    with transaction.atomic():
        recounts = []
        named_rejected = False
        for log in sorted(logs, key=lambda log: log.pk):
            to_person = _confirmed_person(log) if action == MatchLogReview.CONFIRM else None
            log, recount = _review(log, user=user, action=action, status=BULK_ACTIONS[action], to_person=to_person,
                                   audited=False)
            recounts.append(recount)
            named_rejected |= action == MatchLogReview.REJECT and _scores_lowered(log)
        if logs:
            audit_record(actor=user, action=AuditEntry.REVIEW_DECIDED, target=f"{len(logs)} faces",
                         detail=f"{ACTION_TEXT[action]} at once: " + ", ".join(f"#{log.pk}" for log in logs)[:250])
        _after_commit(recounts, gallery=named_rejected)
    return len(logs)
