"""Erasure reaches the imports still at work: an import holding the erased person (their entry in
its plan, enrolled or not yet) ends, its ZIP and plan deleted, on the filesystem and in a bucket,
so no byte of their photos stays stored; an import without them goes on; their name leaves
every plan and report, other people's lines included ("already enrolled as NAME")."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from identity.models import FaceSample, Person
from identity.services.enrolment import person_delete
from imports.models import BulkImport
from imports.services import import_batch, import_create
from tests import faces_data
from tests.test_imports import _run, _zip

pytestmark = pytest.mark.django_db

E2E = faces_data.FIXTURES / "e2e"
THEIRS = ["Colin_Powell_0001.jpg", "Colin_Powell_0002.jpg"]


def _upload(*names: str) -> SimpleUploadedFile:
    """A ZIP of e2e photos, a folder per person, stored as they are (their bytes in it, uncompressed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in names:
            archive.writestr(f"{name.rsplit('_', 1)[0].replace('_', ' ')}/{name}", (E2E / name).read_bytes())
    return SimpleUploadedFile("staff.zip", buffer.getvalue())


@pytest.fixture(params=["filesystem", "bucket"])
def stored(request):
    """stored(): every stored file's bytes by name, under the media folder or in the bucket."""
    if request.param == "bucket":
        media = request.getfixturevalue("s3_media")
        return lambda: {name: media.read(name) for name in media.keys()}
    root = request.getfixturevalue("media_root")
    return lambda: {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_it_ends_the_imports_holding_an_erased_person_and_keeps_no_byte_of_them(
        stored, django_capture_on_commit_callbacks):
    enrolled = import_create(actor=None, consent=True, archive=_upload(THEIRS[0], "Tony_Blair_0001.jpg"))
    import_batch(import_id=enrolled.pk, batch=1)  # Colin Powell enrolled, Tony Blair next
    waiting = import_create(actor=None, consent=True, archive=_upload(THEIRS[1], "Gerhard_Schroeder_0001.jpg"))
    other = import_create(actor=None, consent=True, archive=_upload("Donald_Rumsfeld_0001.jpg", "Tony_Blair_0002.jpg"))
    import_batch(import_id=other.pk, batch=1)
    photos = [(E2E / name).read_bytes() for name in THEIRS]
    assert all(any(photo in blob for blob in stored().values()) for photo in photos)

    with django_capture_on_commit_callbacks(execute=True):
        person_delete(person=Person.objects.get(name="Colin Powell"))

    assert not [name for name, blob in stored().items() if any(photo in blob for photo in photos)]
    for bulk in BulkImport.objects.filter(pk__in=[enrolled.pk, waiting.pk]):
        assert bulk.status == BulkImport.FAILED and "a person in it was erased" in bulk.error
        assert bulk.plan == [] and not bulk.archive
    going_on = BulkImport.objects.get(pk=other.pk)
    assert going_on.status == BulkImport.RUNNING and going_on.plan and going_on.archive.name in stored()
    rows = json.dumps(list(BulkImport.objects.values_list("plan", "report", "error")))
    assert "Colin Powell" not in rows


def test_it_blanks_an_erased_persons_name_in_other_peoples_lines(aaron, tmp_path, media_root,
                                                                 django_capture_on_commit_callbacks):
    bulk = _run(_zip(tmp_path))
    assert "Aaron Peirsol" in json.dumps(bulk.report)  # "already enrolled as Aaron Peirsol", "the code AP is Aaron Peirsol's"

    with django_capture_on_commit_callbacks(execute=True):
        person_delete(person=aaron)

    bulk.refresh_from_db()
    assert "Aaron Peirsol" not in json.dumps(bulk.report) and len(bulk.report) == 6  # the lines are other people's
    assert "Aaron Peirsol" not in FaceSample.objects.get(person__name="Aaron Again").reason  # checked again
    assert {"kind": "code_taken", "person": "Tony Blair", "person_id": None,
            "detail": "the code [erased] is [erased]'s already: not imported"} in bulk.report
