"""One person, one entry (identity.services.duplicates), on real photos through the real engine:
a face the gallery names as someone enrolled is held, not accepted; it moves to them, or the two
are confirmed different people (remembered, audited); the gallery never holds two people whose
faces it names as each other unless someone said so; the pairs already enrolled are listed."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEntry
from identity.models import DistinctPeople, FaceSample, Person, embedding_from_bytes
from identity.selectors import duplicate_pairs
from identity.services.duplicate_search import duplicates_found
from identity.services.gallery import gallery_changed
from identity.services import duplicates, merge
from identity.services.gallery import gallery_current
from tests.duplicates_data import enrol, people_named_as_each_other

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture(django_capture_on_commit_callbacks, media_root):
    return django_capture_on_commit_callbacks


@pytest.fixture
def aaron(capture) -> Person:
    person, samples = enrol(capture, "Aaron Peirsol", "lfw_person_a_1.jpg", code="AP")
    assert [sample.status for sample in samples] == [FaceSample.ACCEPTED]
    return person


def test_it_holds_a_photo_whose_face_is_someone_enrolled(aaron, capture):
    again, (held,) = enrol(capture, "Aaron Again", "lfw_person_a_2.jpg")

    assert held.status == FaceSample.HELD and held.held_as == aaron
    assert held.reason.startswith("already enrolled as Aaron Peirsol (AP) (similarity 0.")
    assert held.embedding and held.crop  # kept: an answer accepts it without a second look
    (match,) = gallery_current().search(embedding_from_bytes(held.embedding))
    assert match.person_id == aaron.pk  # the held face is nobody's in the gallery, Aaron Again's least
    assert people_named_as_each_other() == set()


def test_it_accepts_other_faces_and_the_persons_own_photos(aaron, capture):
    other, (sample,) = enrol(capture, "Someone Else", "lfw_person_b_1.jpg")
    assert (sample.status, sample.reason, sample.held_as) == (FaceSample.ACCEPTED, "", None)

    with capture(execute=True):
        (own,) = duplicates_free_add(aaron, "lfw_person_a_2.jpg")
    assert own.status == FaceSample.ACCEPTED  # their own face is never held as themselves


def duplicates_free_add(person, photo):
    from identity.services import enrolment
    from tests import faces_data

    samples = enrolment.photos_add(person=person, photos=[(photo, faces_data.photo(photo))])
    return [enrolment.sample_process(sample_id=sample.pk) for sample in samples]


def test_it_accepts_the_held_photos_of_two_people_confirmed_different_and_audits_it(aaron, capture, operator_user):
    twin, (held,) = enrol(capture, "Aaron's Twin", "lfw_person_a_2.jpg")

    with capture(execute=True):
        duplicates.people_distinct(person=twin, other=aaron, actor=operator_user)

    held.refresh_from_db()
    assert (held.status, held.reason, held.held_as) == (FaceSample.ACCEPTED, "", None)
    assert DistinctPeople.objects.filter(first=aaron, second=twin, confirmed_by=operator_user).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.PEOPLE_DISTINCT)
    assert (entry.actor, entry.person_id) == (operator_user, twin.pk) and "different people" in entry.detail
    assert people_named_as_each_other() == set()  # named as each other, but confirmed
    # Remembered: the next photo of either is not held as the other, and a second confirmation adds nothing.
    _, (later,) = enrol(capture, "Aaron's Twin too", "lfw_person_a_1.jpg")
    assert later.status == FaceSample.HELD  # a third entry is not covered by the pair
    duplicates.people_distinct(person=aaron, other=twin, actor=operator_user)
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_DISTINCT).count() == 1


def test_it_takes_an_override_at_enrolment_as_a_confirmation(aaron, capture, operator_user):
    twin, (sample,) = enrol(capture, "Aaron's Twin", "lfw_person_a_2.jpg", distinct_from=aaron, actor=operator_user)

    assert sample.status == FaceSample.ACCEPTED
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_DISTINCT, person=twin).exists()


def test_it_moves_a_held_photo_to_the_person_named_and_erases_the_entry_left_empty(aaron, capture, operator_user):
    again, (held,) = enrol(capture, "Aaron Peirsol", "lfw_person_a_2.jpg")

    with capture(execute=True):
        assert duplicates.held_sample_move(sample=held, actor=operator_user) == aaron

    held.refresh_from_db()
    assert (held.person, held.status, held.held_as) == (aaron, FaceSample.ACCEPTED, None)
    assert not Person.objects.filter(pk=again.pk).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.PHOTOS_ADDED, person=aaron, detail__contains="held").exists()
    (match,) = gallery_current().search(embedding_from_bytes(held.embedding))
    assert match.person_id == aaron.pk and match.similarity > 0.99  # the moved face is Aaron's in the gallery
    with pytest.raises(ValidationError):
        duplicates.held_sample_move(sample=held, actor=operator_user)  # not held any more


def test_it_keeps_an_entry_that_has_a_photo_of_its_own(aaron, capture):
    other, samples = enrol(capture, "Mixed Up", "lfw_person_b_1.jpg", "lfw_person_a_2.jpg")
    assert [sample.status for sample in samples] == [FaceSample.ACCEPTED, FaceSample.HELD]

    with capture(execute=True):
        duplicates.held_sample_move(sample=samples[1])

    assert Person.objects.filter(pk=other.pk).exists()
    assert other.samples.get().status == FaceSample.ACCEPTED


def _listed(model_id: str):
    return duplicate_pairs(found=duplicates_found(model_id=model_id).pairs)


def test_it_lists_people_already_enrolled_twice_until_merged_or_said_different(aaron, capture, operator_user):
    assert _listed(aaron.samples.get().model_id) == []
    # Enrolled twice before this check existed: the second entry's photo accepted all the same.
    twice, (held,) = enrol(capture, "A. Peirsol", "lfw_person_a_2.jpg")
    FaceSample.objects.filter(pk=held.pk).update(status=FaceSample.ACCEPTED, held_as=None)
    gallery_changed()  # as an upgrade finds it: a gallery built anew
    model_id = held.model_id

    ((first, second), similarity), = _listed(model_id)
    assert (first, second) == (aaron, twice) and similarity > 0.5
    assert first.sample_id == aaron.samples.get().pk

    duplicates.people_distinct(person=first, other=second, actor=operator_user)
    assert _listed(model_id) == []
    DistinctPeople.objects.all().delete()
    with capture(execute=True):
        merge.people_merge(keep=first, drop=second, actor=operator_user)
    assert _listed(model_id) == []
    assert aaron.samples.count() == 2


def test_it_forgets_a_merged_persons_confirmations(aaron, capture, operator_user):
    twin, _ = enrol(capture, "Aaron's Twin", "lfw_person_a_2.jpg", distinct_from=aaron, actor=operator_user)
    other, _ = enrol(capture, "Someone Else", "lfw_person_b_1.jpg")

    with capture(execute=True):
        merge.people_merge(keep=other, drop=twin, actor=operator_user)

    assert not DistinctPeople.objects.exists()
