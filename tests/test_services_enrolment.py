"""Enrolment services on real photos: accept, reject with a reason, idempotency, the gallery,
erasing a person."""

import dataclasses

import cv2
import numpy as np
import pytest
from django.core.exceptions import ValidationError

from attendance.models import AttendanceRecord
from identity.models import FaceSample, MatchLog, Person, ProvisionalIdentity, Snapshot
from identity.services import enrolment, recognition
from identity.services.gallery import gallery_changed, gallery_current
from tests import faces_data

pytestmark = pytest.mark.django_db


def _enrol(name: str, *photos: bytes, code: str | None = None) -> tuple[Person, list[FaceSample]]:
    person, samples = enrolment.person_enroll(
        name=name, code=code, consent=True, photos=[(f"p{i}.jpg", data) for i, data in enumerate(photos)]
    )
    return person, [enrolment.sample_process(sample_id=s.pk) for s in samples]


def test_it_accepts_a_photo_with_one_clear_face_and_pushes_the_result(media_root):
    person = enrolment.person_create(name="Aaron", code="A-1", consent=True)
    sample = enrolment.sample_add(person=person, photo=("a.jpg", faces_data.photo("lfw_person_a_1.jpg")))
    assert sample.status == FaceSample.PENDING and sample.photo
    groups = ["dashboard", f"person-{person.pk}-enrolment"]

    events, sample = faces_data.events_during(groups, lambda: enrolment.sample_process(sample_id=sample.pk))

    assert (sample.status, sample.reason) == (FaceSample.ACCEPTED, "")
    assert np.frombuffer(sample.embedding, np.float32).shape == (512,)
    assert sample.model_id == "w600k_mbf" and sample.quality["size_px"] > 64
    assert (media_root / sample.crop.name).read_bytes()[:3] == b"\xff\xd8\xff"  # the aligned crop, as JPEG
    for group in groups:
        (event,) = events[group]
        assert event["type"] == "enrolment.sample"
        assert event["sample"] == {
            "id": sample.pk, "person_id": person.pk, "status": "accepted", "reason": "",
            "crop_url": f"/media/samples/{sample.pk}/crop", "photo_url": f"/media/samples/{sample.pk}/photo",
            "quality": sample.quality, "filename": "a.jpg", "held_as": None,
            "delete_url": f"/people/{person.pk}/photos/{sample.pk}/delete/",
        }


@pytest.mark.parametrize(
    "make_photo, reason",
    [
        (faces_data.no_face_jpeg, "no face found"),
        (lambda: faces_data.photo("bbt_group.jpg"), "5 faces found: use a photo with one face"),
        (faces_data.small_face_jpeg, "the face is too small"),
        (faces_data.blurred_face_jpeg, "the face is too blurry"),
        (lambda: faces_data.exposed_face_jpeg(0.25), "the face is too dark"),
        (lambda: faces_data.exposed_face_jpeg(2.0), "the face is too bright"),
        (faces_data.truncated_jpeg, "unreadable image"),
    ],
    ids=["no-face", "five-faces", "too-small", "blurred", "too-dark", "overexposed", "truncated"],
)
def test_it_rejects_a_photo_with_the_reason(make_photo, reason):
    _, (sample,) = _enrol("Someone", make_photo())
    assert sample.status == FaceSample.REJECTED
    assert sample.reason.startswith(reason)
    assert not sample.crop and sample.embedding is None


def test_it_enrols_the_face_of_a_photo_whose_bystander_is_too_small_to_name(settings):
    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, min_face_px=16)  # the bystander is found
    canvas = np.full((1080, 1920, 3), 110, np.uint8)
    canvas[300:550, 800:1050] = faces_data.bgr("lfw_person_a_1.jpg")  # a face of ~96 px
    canvas[100:150, 1500:1550] = cv2.resize(faces_data.bgr("lfw_person_b_1.jpg"), (50, 50), interpolation=cv2.INTER_AREA)

    _, (sample,) = _enrol("Aaron Peirsol", faces_data.jpeg(canvas))

    assert sample.status == FaceSample.ACCEPTED, sample.reason
    assert sample.quality["size_px"] > 64


def test_it_rejects_a_file_that_is_not_an_image_at_once_without_storing_it(media_root, django_capture_on_commit_callbacks):
    person = enrolment.person_create(name="Someone", consent=True)
    with django_capture_on_commit_callbacks() as queued:
        sample = enrolment.sample_add(person=person, photo=("notes.html", b"<script>alert(1)</script>"))
    assert (sample.status, sample.reason) == (FaceSample.REJECTED, "not an image: use a JPEG, PNG, WebP, BMP, GIF or TIFF file")
    assert not sample.photo and queued == [] and faces_data.media_files(media_root) == []


def test_it_queues_each_photo_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        _, samples = enrolment.person_enroll(
            name="Two photos", consent=True,
            photos=[("1.jpg", faces_data.photo("lfw_person_a_1.jpg")), ("2.jpg", faces_data.photo("lfw_person_a_2.jpg"))],
        )
    assert len(queued) == 2 and all(s.status == FaceSample.PENDING for s in samples)


def test_it_refuses_a_person_without_consent_or_with_a_used_code():
    with pytest.raises(ValidationError, match="consent"):
        enrolment.person_create(name="No consent", consent=False)
    enrolment.person_create(name="First", code="X1", consent=True)
    with pytest.raises(ValidationError, match="already has the code"):
        enrolment.person_enroll(name="Second", code="X1", consent=True, photos=[])
    assert list(Person.objects.values_list("name", flat=True)) == ["First"]


def test_it_processes_a_sample_once(media_root):
    person, (sample,) = _enrol("Aaron", faces_data.photo("lfw_person_a_1.jpg"))
    files_before = faces_data.media_files(media_root)

    again = enrolment.sample_process(sample_id=sample.pk)

    assert (again.status, again.crop.name, again.processed_at) == (sample.status, sample.crop.name, sample.processed_at)
    assert faces_data.media_files(media_root) == files_before


def test_it_refreshes_the_gallery_when_a_sample_is_accepted(django_capture_on_commit_callbacks):
    empty = gallery_current()
    assert gallery_current() is empty  # nothing changed: no reload
    assert empty.person_count == 0

    with django_capture_on_commit_callbacks(execute=True):
        person, _ = _enrol("Aaron", faces_data.photo("lfw_person_a_1.jpg"))

    gallery = gallery_current()
    assert gallery is not empty and list(gallery.person_ids) == [person.pk]


def test_it_erases_a_person_with_every_file_and_row(media_root, django_capture_on_commit_callbacks):
    aaron, _ = _enrol("Aaron", faces_data.photo("lfw_person_a_1.jpg"))
    george, _ = _enrol("George", faces_data.photo("lfw_person_b_1.jpg"))
    gallery_changed()
    with django_capture_on_commit_callbacks(execute=True):  # attendance follows the visits once they commit
        alone = recognition.snapshot_recognize(
            snapshot_id=recognition.snapshot_submit(image=("a2.jpg", faces_data.photo("lfw_person_a_2.jpg"))).pk
        )
        together = recognition.snapshot_recognize(
            snapshot_id=recognition.snapshot_submit(
                image=("both.jpg", faces_data.side_by_side_jpeg("lfw_person_a_2.jpg", "lfw_person_b_1.jpg"))
            ).pk
        )
    assert MatchLog.objects.filter(person=aaron).count() == 2 and AttendanceRecord.objects.filter(person=aaron).exists()
    george_files = [
        f.name for s in george.samples.all() for f in (s.photo, s.crop)
    ] + [together.image.name] + [log.crop.name for log in MatchLog.objects.filter(person=george)]

    with django_capture_on_commit_callbacks(execute=True):
        enrolment.person_delete(person=aaron)

    assert sorted(faces_data.media_files(media_root)) == sorted(george_files)
    assert not Person.objects.filter(pk=aaron.pk).exists()
    assert not FaceSample.objects.filter(person_id=aaron.pk).exists()
    assert not AttendanceRecord.objects.filter(person_id=aaron.pk).exists()
    assert not Snapshot.objects.filter(pk=alone.pk).exists()  # a picture of Aaron alone
    assert list(MatchLog.objects.filter(snapshot=together).values_list("person__name", flat=True)) == ["George"]
    assert ProvisionalIdentity.objects.count() == 0
    assert list(gallery_current().person_ids) == [george.pk]


def test_it_waits_for_samples_until_none_is_pending():
    person, (done,) = _enrol("Aaron", faces_data.photo("lfw_person_a_1.jpg"))
    assert enrolment.samples_wait(sample_ids=[done.pk], timeout=5) == [done]
    pending = enrolment.sample_add(person=person, photo=("b.jpg", faces_data.photo("lfw_person_a_2.jpg")))
    (still,) = enrolment.samples_wait(sample_ids=[pending.pk], timeout=0.3)
    assert still.status == FaceSample.PENDING
