"""A ZIP with a member the reader cannot give back (encrypted, a bad CRC, a compression method no
reader has, damaged deflate data) ends its import on a real worker: that photo is rejected with
its reason in plain words, the photos after it are enrolled, and the ZIP is deleted."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from identity.models import FaceSample
from imports.models import BulkImport
from imports.presenters import report_rows
from imports.services import import_create
from tests import broken_zips
from tests.test_imports import _zips_stored
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("build, reason", [
    (broken_zips.encrypted, "encrypted (password-protected): not read"),
    (broken_zips.bad_crc, "damaged (bad CRC): not read"),
    (broken_zips.unknown_method, "unsupported compression: not read"),
    (broken_zips.damaged_deflate, "damaged: not read"),
])
def test_it_rejects_an_unreadable_member_and_goes_on(build, reason, tmp_path, media_root, celery_worker):
    path = build(tmp_path / "staff.zip")

    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", path.read_bytes()))

    done = wait_until(lambda: BulkImport.objects.filter(pk=bulk.pk).exclude(
        status__in=(BulkImport.PENDING, BulkImport.RUNNING)).first(), "the import to end")
    assert done.status == BulkImport.DONE and done.error == ""
    assert ["photo rejected", "Colin Powell", broken_zips.BROKEN, reason] in report_rows(done)
    assert (done.accepted, done.rejected) == (2, 1)  # the photos after it were read
    assert FaceSample.objects.filter(status=FaceSample.ACCEPTED).count() == 2
    assert _zips_stored(media_root) == [] and done.plan == []


@pytest.mark.parametrize("build, reason", [
    (broken_zips.encrypted, "encrypted (password-protected): not read"),
    (broken_zips.unknown_method, "unsupported compression: not read"),
])
def test_it_refuses_a_zip_whose_csv_cannot_be_read(build, reason, tmp_path, media_root):
    path = build(tmp_path / "staff.zip", member="people.csv")

    with pytest.raises(Exception, match=rf"the CSV in the ZIP is {re.escape(reason)}"):
        import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", path.read_bytes()))

    assert not BulkImport.objects.exists() and _zips_stored(media_root) == []
