"""Media on an S3-compatible bucket (FACEAPP_MEDIA_S3_*; README, Several machines): a real S3
server on 127.0.0.1 (tests/s3_server.py), a real Celery worker, real models. Photos, crops,
snapshots and import ZIPs are objects; the worker reads them from the bucket; the media views
stream them with the same role checks; erasure and retention delete and rewrite objects; and
nothing is ever written under the local media folder."""

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from faceapp.media_storage import media_storage
from identity.models import FaceSample, MatchLog, Snapshot
from identity.services import enrolment, gallery_rows, recognition, retention
from identity.vision.image import decode_image
from imports.models import BulkImport
from imports.services import import_create
from tests import faces_data, review_data
from tests.test_hardening_erasure import ERASED, GROUP, KEPT, _best_similarity, group_enrolled
from tests.test_hardening_media import _as, _old
from tests.waiting import wait_until

E2E = faces_data.FIXTURES / "e2e"
DEADLINE = 120  # seconds: a deadline for slow machines, not a timing assertion


def test_it_builds_the_s3_backend_from_the_environment(s3_media):
    env = {**os.environ, **s3_media.env()}
    code = ("import json; from django.core.files.storage import default_storage as s; s._setup(); w = s._wrapped; "
            "print(json.dumps([type(w).__module__ + '.' + type(w).__name__, w.bucket_name, w.endpoint_url, "
            "w.location, w.default_acl, w.querystring_auth]))")
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.BASE_DIR, env=env,
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [
        "storages.backends.s3.S3Storage", s3_media.bucket, s3_media.server.endpoint, "media", "private", False]


@pytest.mark.django_db(transaction=True)
def test_it_keeps_enrolment_photos_and_crops_as_objects_that_the_worker_reads(s3_media, celery_worker):
    _, samples = enrolment.person_enroll(name="Aaron", consent=True,
                                         photos=[("a1.jpg", faces_data.photo("lfw_person_a_1.jpg"))])

    (sample,) = enrolment.samples_wait(sample_ids=[s.pk for s in samples], timeout=DEADLINE)

    assert sample.status == FaceSample.ACCEPTED  # the worker read the photo from the bucket
    assert s3_media.keys() == sorted([sample.photo.name, sample.crop.name])
    assert s3_media.read(sample.photo.name) == faces_data.photo("lfw_person_a_1.jpg")
    assert decode_image(s3_media.read(sample.crop.name)).shape[:2] == (112, 112)
    assert s3_media.local_files() == []


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_recognised_snapshot_and_its_face_crops_as_objects(s3_media, celery_worker):
    snapshot = recognition.snapshot_submit(image=(GROUP, faces_data.photo(GROUP)))

    done = wait_until(lambda: Snapshot.objects.filter(pk=snapshot.pk, status=Snapshot.DONE).first(), "DONE",
                      deadline=DEADLINE)

    crops = [log.crop.name for log in done.logs.all()]
    assert done.face_count == 5 and len(crops) == 5
    assert s3_media.keys() == sorted([done.image.name, *crops])
    assert s3_media.local_files() == []


@pytest.mark.django_db
def test_it_writes_every_object_private(s3_media):
    sample = review_data.make_person("Ada", code="A1").samples.get()

    for name in (sample.photo.name, sample.crop.name):
        grants = s3_media.acl_grants(name)
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner's only
        assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers, no AuthenticatedUsers


@pytest.mark.django_db
def test_it_streams_objects_to_an_operator_through_django(s3_media, operator_user):
    sample = review_data.make_person("Ada", code="A1").samples.get()
    log = review_data.make_log(seen_at=_old(hours=100))
    operator = _as(operator_user)

    for url, name in ((reverse("media-sample-photo", args=[sample.pk]), sample.photo.name),
                      (reverse("media-sample-crop", args=[sample.pk]), sample.crop.name),
                      (reverse("media-log-crop", args=[log.pk]), log.crop.name),
                      (reverse("media-snapshot", args=[log.snapshot_id]), log.snapshot.image.name)):
        response = operator.get(url)
        assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg"), url  # no redirect
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == s3_media.read(name)


@pytest.mark.django_db
def test_it_gives_the_browser_no_address_of_the_bucket(s3_media, operator_user):
    person = review_data.make_person("Ada", code="A1")
    sample = person.samples.get()

    page = _as(operator_user).get(reverse("person-detail", args=[person.pk])).content.decode()

    assert reverse("media-sample-crop", args=[sample.pk]) in page  # the access-checked view, not the object
    assert s3_media.server.endpoint not in page and s3_media.bucket not in page and "X-Amz-" not in page


@pytest.mark.django_db
def test_it_refuses_a_viewer_what_it_refuses_on_the_filesystem(s3_media, viewer_user):
    sample = review_data.make_person("Ada", code="A1").samples.get()
    recent, old = review_data.make_log(seen_at=_old(hours=1)), review_data.make_log(seen_at=_old(hours=48))
    viewer = _as(viewer_user)

    assert viewer.get(reverse("media-sample-photo", args=[sample.pk])).status_code == 403
    assert viewer.get(reverse("media-sample-crop", args=[sample.pk])).status_code == 403
    assert viewer.get(reverse("media-log-crop", args=[old.pk])).status_code == 404  # older than the viewer window: as if missing
    assert viewer.get(reverse("media-snapshot", args=[old.snapshot_id])).status_code == 404
    assert viewer.get(reverse("media-log-crop", args=[recent.pk])).status_code == 200
    assert viewer.get(reverse("media-snapshot", args=[recent.snapshot_id])).status_code == 200


@pytest.mark.django_db
def test_it_says_404_for_an_object_that_is_gone(s3_media, operator_user):
    log = review_data.make_log(seen_at=_old(hours=1))
    s3_media.server.client().delete_object(Bucket=s3_media.bucket, Key=f"media/{log.crop.name}")

    assert _as(operator_user).get(reverse("media-log-crop", args=[log.pk])).status_code == 404


@pytest.mark.django_db
def test_it_reads_a_sample_crop_object_for_the_flip_fill(s3_media):
    sample = review_data.make_person("Ada", code="A1").samples.get()
    sample.crop.save("crop.jpg", io.BytesIO(faces_data.jpeg(faces_data.bgr("lfw_person_a_1.jpg")[:112, :112])))

    crop = gallery_rows.crop_read(sample.crop.name)

    assert crop is not None and crop.shape[:2] == (112, 112)


@pytest.mark.django_db
def test_it_erases_every_object_of_a_person_and_blacks_out_their_face_in_a_shared_snapshot(
        s3_media, django_capture_on_commit_callbacks):
    enrolled = group_enrolled(django_capture_on_commit_callbacks)
    engine, faces, erased, kept = enrolled.engine, enrolled.faces, enrolled.erased, enrolled.kept
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = recognition.snapshot_recognize(
            snapshot_id=recognition.snapshot_submit(image=(GROUP, faces_data.photo(GROUP))).pk)
    theirs = [name for sample in erased.samples.all() for name in (sample.photo.name, sample.crop.name)]
    theirs += [log.crop.name for log in MatchLog.objects.filter(person=erased)]
    before = s3_media.read(snapshot.image.name)
    assert set(theirs) <= set(s3_media.keys()) and len(theirs) == 3

    with django_capture_on_commit_callbacks(execute=True):
        enrolment.person_delete(person=erased)

    assert not set(theirs) & set(s3_media.keys())
    after = s3_media.read(snapshot.image.name)  # the same object, rewritten
    found = engine.analyze(after)
    assert after != before and len(found) == len(faces) - 1
    assert _best_similarity(found, faces[ERASED].embedding) < settings.FACEAPP_MATCH_THRESHOLD
    assert _best_similarity(found, faces[KEPT].embedding) >= settings.FACEAPP_MATCH_THRESHOLD
    assert kept.samples.get().photo.name in s3_media.keys()
    assert s3_media.local_files() == []


@pytest.mark.django_db
def test_it_deletes_expired_objects_on_retention(s3_media, settings):
    settings.FACEAPP_KEEP_SNAPSHOTS_DAYS, settings.FACEAPP_KEEP_CROPS_DAYS = 30, 30
    old, recent = review_data.make_log(seen_at=_old(hours=24 * 40)), review_data.make_log(seen_at=_old(hours=1))
    lonely = review_data.make_snapshot(_old(hours=24 * 40))  # no face in it: the row goes too

    retention.purge_expired()

    assert s3_media.keys() == sorted([recent.crop.name, recent.snapshot.image.name])
    assert not Snapshot.objects.filter(pk=lonely.pk).exists()
    assert MatchLog.objects.get(pk=old.pk).crop.name == ""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("Colin_Powell_0001.jpg", "Tony_Blair_0001.jpg"):
            archive.writestr(f"{name.rsplit('_', 1)[0].replace('_', ' ')}/{name}", (E2E / name).read_bytes())
    return buffer.getvalue()


@pytest.mark.django_db(transaction=True)
def test_it_imports_a_zip_that_the_worker_reads_from_the_bucket(s3_media, celery_worker):
    archive = _zip()
    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", archive))

    done = wait_until(lambda: BulkImport.objects.filter(pk=bulk.pk, status=BulkImport.DONE).first(), "the import",
                      deadline=DEADLINE)

    assert (done.people_done, done.accepted, done.rejected) == (2, 2, 0)
    samples = FaceSample.objects.filter(person__name__in=["Colin Powell", "Tony Blair"])
    stored = {n for s in samples for n in (s.photo.name, s.crop.name)}
    wait_until(lambda: set(s3_media.keys()) == stored, "the ZIP deleted, the samples' objects kept", deadline=DEADLINE)
    assert not done.archive and s3_media.local_files() == []


@pytest.mark.django_db
def test_it_stores_no_zip_it_refuses(s3_media):
    with pytest.raises(ValidationError, match="not a ZIP"):
        import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", b"not a zip at all"))

    assert s3_media.keys() == []


def test_it_keeps_the_filesystem_when_no_bucket_is_set():
    assert media_storage(bucket="") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
