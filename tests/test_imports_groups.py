"""The import CSV's `groups` column: each person joins the groups named (`;` or `|` between them),
through the real workers; a group that does not exist refuses the import when it is planned,
naming the group and its CSV lines, before anything is stored or enrolled."""

import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.exceptions import ValidationError

from attendance.setup import groups
from audit.models import AuditEntry
from identity.models import Person
from imports.models import BulkImport
from imports.services import import_create
from tests import faces_data
from tests.waiting import wait_until

E2E = faces_data.FIXTURES / "e2e"
CSV = "name,groups\nColin Powell,7A; night shift\nTony Blair,7A|Night shift\nDonald Rumsfeld,\n"


@pytest.mark.django_db(transaction=True)
def test_it_puts_each_imported_person_in_the_groups_of_their_line(celery_worker, media_root):
    class_7a, night = groups.group_create(actor=None, name="7A"), groups.group_create(actor=None, name="Night shift")

    bulk = import_create(actor=None, consent=True, folder=str(E2E), csv_text=CSV)
    done = wait_until(lambda: BulkImport.objects.filter(pk=bulk.pk, status=BulkImport.DONE).first(), "the import")

    assert done.people_done == 4
    assert sorted(class_7a.members.values_list("name", flat=True)) == ["Colin Powell", "Tony Blair"]
    assert sorted(night.members.values_list("name", flat=True)) == ["Colin Powell", "Tony Blair"]
    assert AuditEntry.objects.get(action=AuditEntry.PEOPLE_IMPORTED).detail.endswith("into 7A, Night shift")


@pytest.mark.django_db
def test_it_refuses_an_import_naming_a_group_that_does_not_exist_before_anything_is_done(media_root, tmp_path):
    groups.group_create(actor=None, name="7A")
    archive = tmp_path / "staff.zip"
    with zipfile.ZipFile(archive, "w") as opened:
        for photo in sorted(E2E.glob("*.jpg")):
            opened.write(photo, photo.name)
        opened.writestr("people.csv", "name,groups\nColin Powell,7A;7Z\nTony Blair,7Z\nDonald Rumsfeld,Night shift\n")

    with pytest.raises(ValidationError) as refused:
        import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", archive.read_bytes()))

    assert refused.value.messages == [
        "the CSV names groups that do not exist: 7Z (lines 2, 3); Night shift (line 4). Create them on the Groups "
        "page or correct the CSV: nothing was imported."]
    assert not BulkImport.objects.exists() and not Person.objects.exists()
    assert not (media_root.exists() and list(media_root.rglob("*.zip")))  # the ZIP was never stored
