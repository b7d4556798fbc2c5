"""The bulk enrolment pages: a ZIP uploaded starts an import the workers take; its page shows the
progress and the report, which downloads as CSV; a running import can be cancelled."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from identity.models import Person
from imports.models import BulkImport
from imports.services import import_batch, import_create
from tests.test_imports import _zip
from tests.waiting import wait_until


@pytest.fixture
def operator(client, operator_user):
    client.force_login(operator_user)
    return client


@pytest.mark.django_db(transaction=True)
def test_it_starts_an_import_from_an_uploaded_zip(operator, tmp_path, media_root, celery_worker):
    path = _zip(tmp_path)

    response = operator.post(reverse("import-list"), {"archive": SimpleUploadedFile("staff.zip", path.read_bytes()),
                                                      "consent": "on"})

    bulk = BulkImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("import-detail", args=[bulk.pk])
    wait_until(lambda: BulkImport.objects.filter(pk=bulk.pk, status=BulkImport.DONE).exists(), "the import")
    page = operator.get(response.url).content.decode()
    assert "no accepted photo" in page and "Group/team.jpg" in page
    assert Person.objects.filter(name="Colin Powell", code="CP").exists()
    assert Person.objects.get(name="Gérard Schrœder").samples.get().status == "accepted"


@pytest.mark.django_db
def test_it_says_why_an_upload_is_not_an_import(operator, media_root):
    response = operator.post(reverse("import-list"), {"archive": SimpleUploadedFile("staff.zip", b"no zip")})

    assert response.status_code == 200 and "not a ZIP archive" in response.content.decode()
    assert not BulkImport.objects.exists()


@pytest.mark.django_db
def test_it_downloads_the_report_as_csv(operator, tmp_path, media_root):
    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile("s.zip", _zip(tmp_path).read_bytes()))
    while bulk.status not in BulkImport.ENDED:
        bulk = import_batch(import_id=bulk.pk)

    response = operator.get(reverse("import-report", args=[bulk.pk]))

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["kind", "person", "photo", "detail"] and len(rows) == 1 + len(bulk.report)
    assert ["photo rejected", "Donald Rumsfeld", "Donald Rumsfeld/notes.txt"] in [row[:3] for row in rows]


@pytest.mark.django_db
def test_it_cancels_a_running_import(operator, tmp_path, media_root):
    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile("s.zip", _zip(tmp_path).read_bytes()))

    operator.post(reverse("import-cancel", args=[bulk.pk]))

    assert BulkImport.objects.get(pk=bulk.pk).status == BulkImport.CANCELLED
    assert operator.get(reverse("import-status", args=[bulk.pk])).json()["progress"]["status"] == "cancelled"
