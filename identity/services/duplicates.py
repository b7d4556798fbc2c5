"""One person, one entry. A new face that the gallery names as another enrolled person (the 1:N
threshold and margin the recognizer uses) is held, not accepted, on every path (the enrolment
form and webcam, the API, an import, naming a stranger), until someone says what it is: a photo
of that person (it moves to them), or of a different person (the pair is remembered as
DistinctPeople and audited; their photos held as each other are accepted). Pairs already
enrolled whose faces the gallery cannot tell apart are listed by
`identity.services.duplicate_search`, for a merge or a "different people"."""

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from audit.models import AuditEntry
from audit.services import audit_record
from identity.matching import PersonMatch, refine_face_matches
from identity.models import DistinctPeople, FaceSample, Person
from identity.selectors import evidence_logs
from identity.services.calibration import threshold_for
from identity.services.erasure import person_erase
from identity.services.gallery import gallery_current, gallery_noted
from identity.vision import Face, FaceEngine


@dataclass(frozen=True)
class HeldAs:
    """Whom the gallery names a new face as: another enrolled person, and how alike."""

    person: Person
    similarity: float

    @property
    def reason(self) -> str:
        return f"already enrolled as {self.person} (similarity {self.similarity:.2f})"


class DuplicateFace(ValidationError):
    """Refused: the face is someone enrolled already (`held_as`); say they are different people to go on."""

    def __init__(self, held_as: HeldAs):
        self.held_as = held_as
        super().__init__(f"{held_as.reason[0].upper()}{held_as.reason[1:]}: name them {held_as.person.name}, "
                         "or confirm that they are different people.")


def distinct_confirmed(*, person_id: int | None, other_id: int) -> bool:
    """Someone confirmed that the two are different people."""
    if person_id is None:
        return False
    first, second = DistinctPeople.pair(person_id, other_id)
    return DistinctPeople.objects.filter(first_id=first, second_id=second).exists()


def _held_as(match: PersonMatch, *, person_id: int | None) -> HeldAs | None:
    """The match as a hold: it names someone (threshold and margin) not confirmed different from `person_id`."""
    if not match.is_known(threshold=threshold_for(None), margin=settings.FACEAPP_MATCH_MARGIN):
        return None
    if distinct_confirmed(person_id=person_id, other_id=match.person_id):
        return None
    other = Person.objects.filter(pk=match.person_id).first()
    return HeldAs(other, match.similarity) if other is not None else None


def face_held_as(*, engine: FaceEngine, face: Face, person_id: int) -> HeldAs | None:
    """An enrolment photo's face: held as the person the gallery names it as (the adaptive step
    included, as the recognizer decides), leaving its own person out; None when it names nobody else."""
    gallery = gallery_current()
    threshold, margin = threshold_for(None), settings.FACEAPP_MATCH_MARGIN
    matches = gallery.search(face.embedding, exclude=person_id)
    (match,) = refine_face_matches(engine=engine, faces=[face], matches=matches, gallery=gallery,
                                   threshold=threshold, margin=margin, exclude=person_id).matches
    return _held_as(match, person_id=person_id)


def embeddings_held_as(*, embeddings: list[np.ndarray], person_id: int | None = None) -> HeldAs | None:
    """Faces that may join a person (a stranger's, when named): the first the gallery names as
    someone else, the most alike of them."""
    gallery = gallery_current()
    embeddings = [vector for vector in embeddings if len(vector) == gallery.dim]  # of this model only
    if not embeddings:
        return None
    matches = gallery.search(np.vstack(embeddings), exclude=person_id)
    holds = [held for match in sorted(matches, key=lambda m: -m.similarity)
             if (held := _held_as(match, person_id=person_id)) is not None]
    return holds[0] if holds else None


def people_distinct(*, person: Person, other: Person, actor=None) -> DistinctPeople:
    """Confirm that the two are different people: remembered for the pair, audited, and the
    photos of either held as the other are accepted."""
    if person.pk == other.pk:
        raise ValidationError("A person is not different from themselves.")
    first, second = DistinctPeople.pair(person.pk, other.pk)
    # Two operators confirming the same pair at once: the unique pair lets one row in, the locks one acceptance.
    with transaction.atomic():
        row, created = DistinctPeople.objects.get_or_create(first_id=first, second_id=second,
                                                            defaults={"confirmed_by": actor})
        if created:
            audit_record(actor=actor, action=AuditEntry.PEOPLE_DISTINCT, person=person, target=str(other),
                         detail=f"#{first} and #{second} are different people")
        held = FaceSample.objects.select_for_update().filter(
            Q(person=person, held_as=other) | Q(person=other, held_as=person), status=FaceSample.HELD)
        accepted = [sample.pk for sample in held]
        FaceSample.objects.filter(pk__in=accepted).update(status=FaceSample.ACCEPTED, reason="", held_as=None)
        if accepted:
            gallery_noted(added=accepted)
    return row


def held_as_themselves_accepted(*, person: Person) -> list[int]:
    """After a merge, the person's photos held as the person merged in (now themselves) are accepted."""
    held = list(FaceSample.objects.filter(person=person, held_as=person, status=FaceSample.HELD)
                .values_list("pk", flat=True))
    FaceSample.objects.filter(pk__in=held).update(status=FaceSample.ACCEPTED, reason="", held_as=None)
    if held:
        gallery_noted(added=held)
    return held


def held_sample_move(*, sample: FaceSample, actor=None) -> Person:
    """A held photo is of the person the gallery named: it is accepted as theirs. The entry it
    came with, left with no photo to recognise them by (and no face seen), is erased. Returns
    the person it moved to."""
    # The worker or another operator deciding the same photo at once: the row lock orders them.
    with transaction.atomic():
        sample = FaceSample.objects.select_for_update(of=("self",)).select_related("person", "held_as").get(pk=sample.pk)
        if sample.status != FaceSample.HELD or sample.held_as is None:
            raise ValidationError("This photo is not held as someone else's any more.")
        source, target = sample.person, sample.held_as
        sample.person, sample.status, sample.reason, sample.held_as = target, FaceSample.ACCEPTED, "", None
        sample.save(update_fields=["person", "status", "reason", "held_as"])
        gallery_noted(added=[sample.pk])
        audit_record(actor=actor, action=AuditEntry.PHOTOS_ADDED, person=target,
                     detail=f"photo #{sample.pk}, held on entry #{source.pk}, added here")
    if _entry_empty(source):
        person_erase(person=source, actor=actor)
    return target


def _entry_empty(person: Person) -> bool:
    """Nothing left to keep: no photo but rejected ones, no face counted for them."""
    kept = person.samples.exclude(status=FaceSample.REJECTED).exists()
    return not kept and not evidence_logs(person_id=person.pk).exists()
