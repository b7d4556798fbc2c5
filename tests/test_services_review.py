"""Review actions: what each does to the log, its audit trail, attendance and the gallery."""

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from attendance.models import AttendanceRecord
from audit.models import AuditEntry
from identity import presenters, selectors
from identity.models import (
    FaceSample,
    MatchLog,
    MatchLogReview,
    Person,
    ProvisionalIdentity,
    embedding_from_bytes,
)
from identity.services import review
from tests.review_data import at, make_camera, make_log, make_person, make_provisional

DAY = dt.date(2026, 3, 2)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(media_root):
    return make_person("Alice", "A1")


@pytest.fixture
def bob(media_root):
    return make_person("Bob", "B2")


def _record(person):
    return AttendanceRecord.objects.filter(person=person, day=DAY).first()


def test_it_confirms_keeping_the_decision_and_auditing(alice, admin_user, committed):
    log = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.41)
    with committed():
        review.log_confirm(log=log, user=admin_user)

    log.refresh_from_db()
    assert (log.review_status, log.reviewed_person, log.reviewed_by) == (MatchLog.CONFIRMED, alice, admin_user)
    assert log.reviewed_at is not None
    assert (log.person, log.decision, log.similarity) == (alice, MatchLog.KNOWN, 0.41)
    audit = MatchLogReview.objects.get(log=log)
    assert (audit.action, audit.user, audit.from_person, audit.to_person) == ("confirm", admin_user, alice, alice)
    assert _record(alice).first_seen == at(DAY, 9)


def test_it_rejects_and_removes_the_attendance_that_rested_on_it(alice, admin_user, committed):
    camera = make_camera()
    log = make_log(seen_at=at(DAY, 9), person=alice, camera=camera)
    with committed():
        review.log_confirm(log=log, user=admin_user)  # builds the record from the evidence
    assert _record(alice) is not None

    with committed():
        review.log_reject(log=log, user=admin_user, note="her sister")

    log.refresh_from_db()
    assert (log.review_status, log.reviewed_person, log.review_note) == (MatchLog.REJECTED, None, "her sister")
    assert log.person == alice  # the original decision is kept
    assert _record(alice) is None
    assert list(MatchLogReview.objects.filter(log=log).values_list("action", flat=True)) == ["reject", "confirm"]


def test_it_rejects_one_of_several_sightings_and_narrows_the_day(alice, admin_user, committed):
    early = make_log(seen_at=at(DAY, 8), person=alice)
    make_log(seen_at=at(DAY, 10), person=alice)
    make_log(seen_at=at(DAY, 17), person=alice)
    with committed():
        review.log_confirm(log=early, user=admin_user)
    assert _record(alice).first_seen == at(DAY, 8)

    with committed():
        review.log_reject(log=early, user=admin_user)

    record = _record(alice)
    assert (record.first_seen, record.last_seen) == (at(DAY, 10), at(DAY, 17))


def test_it_reassigns_moving_attendance_from_one_person_to_another(alice, bob, admin_user, committed):
    door, hall = make_camera("Door"), make_camera("Hall")
    make_log(seen_at=at(DAY, 9), person=alice, camera=door)
    wrong = make_log(seen_at=at(DAY, 11), person=alice, camera=hall)
    with committed():
        review.log_confirm(log=make_log(seen_at=at(DAY, 8), person=bob, camera=door), user=admin_user)

    with committed():
        review.log_reassign(log=wrong, person=bob, user=admin_user)

    wrong.refresh_from_db()
    assert (wrong.review_status, wrong.reviewed_person, wrong.person) == (MatchLog.REASSIGNED, bob, alice)
    alice_record, bob_record = _record(alice), _record(bob)
    assert (alice_record.first_seen, alice_record.last_seen, alice_record.camera) == (at(DAY, 9), at(DAY, 9), door)
    assert (bob_record.first_seen, bob_record.last_seen, bob_record.camera) == (at(DAY, 8), at(DAY, 11), hall)
    audit = MatchLogReview.objects.get(log=wrong)
    assert (audit.action, audit.from_person, audit.to_person) == ("reassign", alice, bob)


def test_it_reassigns_an_unknown_face_making_them_present(bob, admin_user, committed):
    log = make_log(seen_at=at(DAY, 12), best_person=bob, similarity=0.19)
    assert _record(bob) is None

    with committed():
        review.log_reassign(log=log, person=bob, user=admin_user)

    assert _record(bob).first_seen == at(DAY, 12)
    assert MatchLogReview.objects.get(log=log).from_person is None


def test_it_promotes_a_stranger_moving_all_their_faces(bob, admin_user, committed):
    stranger = make_provisional("U-0007")
    faces = [
        make_log(seen_at=at(DAY, hour), provisional=stranger, similarity=0.1, quality_score=score)
        for hour, score in ((9, 0.5), (13, 0.9), (15, 0.7), (16, 0.6))
    ]
    with committed():
        review.log_reassign(log=faces[3], person=bob, user=admin_user)  # a reviewer already said: Bob

    with committed():
        person = review.provisional_promote(provisional=stranger, name="Carol", code="C3", user=admin_user)

    stranger.refresh_from_db()
    assert stranger.promoted_to == person and person.consent_given_at is not None
    moved = MatchLog.objects.filter(reviewed_person=person).order_by("id")
    assert list(moved) == faces[:3]
    assert all(log.decision == MatchLog.UNKNOWN and log.review_status == MatchLog.REASSIGNED for log in moved)
    assert MatchLogReview.objects.filter(action="promote", to_person=person).count() == 3
    record = AttendanceRecord.objects.get(person=person, day=DAY)
    assert (record.first_seen, record.last_seen) == (at(DAY, 9), at(DAY, 15))
    samples = list(person.samples.order_by("id"))
    assert [s.status for s in samples] == [FaceSample.ACCEPTED] * 3
    # The best faces (by quality) became samples, each with its own copy of the crop.
    assert [bytes(s.embedding) for s in samples] == [bytes(faces[i].embedding) for i in (1, 2, 0)]
    assert all(s.crop.name != faces[i].crop.name for s, i in zip(samples, (1, 2, 0)))


def test_it_refuses_to_promote_twice_or_with_a_used_code(alice, admin_user):
    stranger = make_provisional("U-0008")
    with pytest.raises(ValidationError, match="already has the code"):
        review.provisional_promote(provisional=stranger, name="Dan", code="A1", user=admin_user)
    assert Person.objects.filter(name="Dan").count() == 0
    review.provisional_promote(provisional=stranger, name="Dan", user=admin_user)
    with pytest.raises(ValidationError, match="already"):
        review.provisional_promote(provisional=stranger, name="Dan again", user=admin_user)
    assert Person.objects.filter(name__startswith="Dan").count() == 1


def test_it_adds_a_face_as_a_sample_and_the_gallery_sees_it(
    alice, admin_user, django_capture_on_commit_callbacks
):
    from identity.services.gallery import gallery_current

    log = make_log(seen_at=at(DAY, 9), person=alice)
    before = gallery_current()

    with django_capture_on_commit_callbacks(execute=True):
        sample = review.log_add_as_sample(log=log, user=admin_user)

    assert (sample.person, sample.status, sample.source) == (alice, FaceSample.ACCEPTED, "review")
    assert sample.crop.read() == log.crop.open("rb").read() and sample.crop.name != log.crop.name
    log.refresh_from_db()
    assert log.review_status == MatchLog.CONFIRMED
    assert MatchLogReview.objects.get(log=log).action == "add_sample"
    after = gallery_current()
    assert after.sample_count == before.sample_count + 1
    match = after.search(embedding_from_bytes(log.embedding)[None, :])[0]
    assert match.person_id == alice.pk and match.similarity == pytest.approx(1.0, abs=1e-5)
    assert np.allclose(embedding_from_bytes(sample.embedding), embedding_from_bytes(log.embedding))


def test_it_refuses_to_add_a_face_nobody_is_assigned_to(media_root, admin_user):
    log = make_log(seen_at=at(DAY, 9), similarity=0.05)
    with pytest.raises(ValidationError, match="not assigned"):
        review.log_add_as_sample(log=log, user=admin_user)
    assert FaceSample.objects.count() == 0
    assert MatchLog.objects.get(pk=log.pk).review_status == MatchLog.UNREVIEWED


def test_it_orders_the_queue_least_certain_first(alice, bob):
    # Exact binary fractions, so that equal distances are truly equal and the margin decides.
    far_above = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.875, threshold=0.5)
    near_small_margin = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.625, margin=0.0625, threshold=0.5)
    near_big_margin = make_log(seen_at=at(DAY, 9), person=bob, similarity=0.375, margin=0.25, threshold=0.5)
    below = make_log(seen_at=at(DAY, 9), best_person=bob, similarity=0.25, threshold=0.5)
    empty_gallery = make_log(seen_at=at(DAY, 9), similarity=None, margin=None)
    done = make_log(seen_at=at(DAY, 9), person=alice, similarity=0.3)
    MatchLog.objects.filter(pk=done.pk).update(review_status=MatchLog.CONFIRMED)

    queue = selectors.review_queue()

    assert queue == [near_small_margin, near_big_margin, below, far_above, empty_gallery]
    item = presenters.review_item(queue[1])
    assert item["candidate"] == {"id": bob.pk, "name": "Bob", "code": "B2"}
    assert item["crop_url"] == f"/media/logs/{near_big_margin.pk}/crop"
    assert item["candidate_crop_url"] == f"/media/samples/{bob.samples.get().pk}/crop"


def test_it_merges_two_strangers_into_one(media_root):
    keep, drop = make_provisional("U-0001"), make_provisional("U-0002")
    kept_face = make_log(seen_at=at(DAY, 9), provisional=keep)
    moved_face = make_log(seen_at=at(DAY, 10), provisional=drop)

    merged = review.provisional_merge(keep=keep, drop=drop, user=None)

    moved_face.refresh_from_db()
    assert (moved_face.provisional, moved_face.assigned_id) == (merged, "U-0001")
    assert merged.sightings == 2 and not ProvisionalIdentity.objects.filter(label="U-0002").exists()
    assert len(merged.embeddings) == 2 * len(drop.embeddings)  # both strangers' examples
    assert set(merged.logs.all()) == {kept_face, moved_face}


def test_it_refuses_to_merge_a_stranger_with_themselves(media_root):
    stranger = make_provisional("U-0001")
    with pytest.raises(ValidationError, match="themselves"):
        review.provisional_merge(keep=stranger, drop=stranger, user=None)


def test_it_gives_a_strangers_faces_to_an_enrolled_person(alice, media_root, admin_user, committed):
    stranger = make_provisional("U-0009")
    face = make_log(seen_at=at(DAY, 9), provisional=stranger)

    with committed():
        review.provisional_assign(provisional=stranger, person=alice, user=admin_user)

    face.refresh_from_db()
    assert (face.reviewed_person, face.review_status) == (alice, MatchLog.REASSIGNED)
    assert AttendanceRecord.objects.filter(person=alice, day=DAY).exists()
    assert alice.samples.filter(source="review").count() == 1  # their best face, enrolled


def test_it_confirms_a_group_of_faces_in_one_action(alice, media_root, admin_user):
    faces = [make_log(seen_at=at(DAY, hour), person=alice) for hour in (9, 10, 11)]

    assert review.logs_review_bulk(logs=faces, action="confirm", user=admin_user) == 3

    assert set(MatchLog.objects.values_list("review_status", flat=True)) == {MatchLog.CONFIRMED}
    assert AuditEntry.objects.filter(action=AuditEntry.REVIEW_DECIDED).count() == 1
