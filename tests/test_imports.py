"""Bulk enrolment of a ZIP of real photos: every report line checked (a non-image, a group photo,
a face of someone already enrolled (held, not enrolled), a code already used, a name with accents), then the same
import again enrols nothing twice; a cancel stops it; the workers take it in batches."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from identity.models import FaceSample, Person
from identity.services.enrolment import person_delete
from imports.models import BulkImport
from imports.presenters import report_rows
from imports.services import import_batch, import_cancel, import_create
from tests import faces_data
from tests.api import api_client
from tests.duplicates_data import people_named_as_each_other
from tests.streams import free_port
from tests.waiting import wait_until

E2E = faces_data.FIXTURES / "e2e"
CSV = "name,code,consent\nColin Powell,CP,yes\nTony Blair,AP,yes\n"


def _zip(tmp_path: Path) -> Path:
    members = {
        "Colin Powell/Colin_Powell_0001.jpg": E2E / "Colin_Powell_0001.jpg",
        "Colin Powell/Colin_Powell_0002.jpg": E2E / "Colin_Powell_0002.jpg",
        "Tony_Blair_0001.jpg": E2E / "Tony_Blair_0001.jpg",  # named by person, at the top
        "Gérard Schrœder/gs.jpg": E2E / "Gerhard_Schroeder_0001.jpg",
        "Donald Rumsfeld/Donald_Rumsfeld_0001.jpg": E2E / "Donald_Rumsfeld_0001.jpg",
        "Donald Rumsfeld/notes.txt": None,
        "Group/team.jpg": faces_data.FIXTURES / "bbt_group.jpg",
        "Aaron Again/a2.jpg": faces_data.FIXTURES / "lfw_person_a_2.jpg",  # Aaron Peirsol, enrolled already
    }
    path = tmp_path / "staff.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in members.items():
            archive.writestr(name, source.read_bytes() if source else b"minutes of the meeting")
        archive.writestr("people.csv", CSV)
    return path


def _run(path: Path) -> BulkImport:
    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile(path.name, path.read_bytes()))
    while bulk.status not in BulkImport.ENDED:
        bulk = import_batch(import_id=bulk.pk, batch=2)
    return bulk


@pytest.mark.django_db
def test_it_imports_a_zip_and_reports_every_problem(aaron, tmp_path, media_root):
    bulk = _run(_zip(tmp_path))

    assert (bulk.status, bulk.people_total, bulk.photos_total) == (BulkImport.DONE, 6, 8)
    assert sorted(Person.objects.values_list("name", flat=True)) == [
        "Aaron Again", "Aaron Peirsol", "Colin Powell", "Donald Rumsfeld", "Group", "Gérard Schrœder"]
    assert Person.objects.get(name="Colin Powell").code == "CP"
    assert (bulk.accepted, bulk.rejected, bulk.skipped) == (4, 2, 1)  # Aaron Again's photo: Aaron, held
    rows = {(kind, person, photo) for kind, person, photo, _ in report_rows(bulk)}
    assert rows == {
        ("code already used", "Tony Blair", ""),
        ("photo rejected", "Donald Rumsfeld", "Donald Rumsfeld/notes.txt"),
        ("photo rejected", "Group", "Group/team.jpg"),
        ("no accepted photo", "Group", ""),
        ("already enrolled as someone else", "Aaron Again", "Aaron Again/a2.jpg"),
        ("no accepted photo", "Aaron Again", ""),
    }
    details = {kind: detail for kind, _, _, detail in report_rows(bulk)}
    assert "AP is Aaron Peirsol's already" in details["code already used"]
    assert details["already enrolled as someone else"].startswith("already enrolled as Aaron Peirsol (AP)")
    assert Person.objects.get(name="Aaron Again").samples.get().status == FaceSample.HELD  # not enrolled
    assert people_named_as_each_other() == set()
    assert bulk.plan == []  # the names and paths it was planned from are not kept


@pytest.mark.django_db
def test_it_enrols_nothing_twice_when_the_same_import_runs_again(aaron, tmp_path, media_root):
    path = _zip(tmp_path)
    _run(path)
    people, samples = Person.objects.count(), FaceSample.objects.count()

    again = _run(path)

    assert (Person.objects.count(), FaceSample.objects.count()) == (people, samples)
    assert (again.accepted, again.rejected, again.skipped) == (0, 0, 7)  # every photo is there already
    assert AuditEntry.objects.filter(action=AuditEntry.PEOPLE_IMPORTED).count() == 2


def _zips_stored(media_root: Path) -> list[Path]:
    return list((Path(media_root) / "imports").rglob("*.zip"))


@pytest.mark.django_db
def test_it_deletes_the_zip_once_the_import_is_done(tmp_path, media_root, django_capture_on_commit_callbacks):
    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", _zip(tmp_path).read_bytes()))
    assert len(_zips_stored(media_root)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        while bulk.status not in BulkImport.ENDED:
            bulk = import_batch(import_id=bulk.pk, batch=2)

    assert _zips_stored(media_root) == [] and not BulkImport.objects.get(pk=bulk.pk).archive
    assert FaceSample.objects.filter(status=FaceSample.ACCEPTED).count() == 6  # the photos live on as samples


@pytest.mark.django_db
@pytest.mark.parametrize("batches_first", [0, 1])
def test_it_deletes_the_zip_of_a_cancelled_import(batches_first, tmp_path, media_root,
                                                  django_capture_on_commit_callbacks):
    bulk = import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", _zip(tmp_path).read_bytes()))
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(batches_first):
            bulk = import_batch(import_id=bulk.pk, batch=1)
        import_cancel(bulk=bulk)
        import_batch(import_id=bulk.pk, batch=1)  # the batch queued before the cancel

    assert _zips_stored(media_root) == [] and not BulkImport.objects.get(pk=bulk.pk).archive


@pytest.mark.django_db
def test_it_stops_a_cancelled_import_after_its_batch(tmp_path, media_root):
    bulk = import_create(actor=None, consent=True, folder=str(E2E))
    bulk = import_batch(import_id=bulk.pk, batch=1)

    import_cancel(bulk=bulk)
    after = import_batch(import_id=bulk.pk, batch=1)

    assert after.status == BulkImport.CANCELLED and after.people_done == 1
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_file_that_is_not_a_zip(media_root):
    with pytest.raises(Exception, match="not a ZIP archive"):
        import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", b"not a zip"))


@pytest.mark.django_db
def test_it_leaves_out_people_without_consent(media_root):
    bulk = import_create(actor=None, consent=False, folder=str(E2E))
    while bulk.status not in BulkImport.ENDED:
        bulk = import_batch(import_id=bulk.pk)

    assert Person.objects.count() == 0
    assert {kind for kind, *_ in report_rows(bulk)} == {"no consent"}


@pytest.mark.django_db
def test_it_reads_a_folder_of_photos_named_by_person_from_the_command(media_root):
    out = io.StringIO()

    call_command("import_people", str(E2E), "--consent", "--inline", stdout=out, stderr=io.StringIO())

    assert sorted(Person.objects.values_list("name", flat=True)) == [
        "Colin Powell", "Donald Rumsfeld", "Gerhard Schroeder", "Tony Blair"]
    assert "Done: 9 accepted, 0 rejected, 0 already enrolled" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_it_runs_an_import_on_the_workers_in_batches(celery_worker, media_root):
    bulk = import_create(actor=None, consent=True, folder=str(E2E))

    done = wait_until(lambda: BulkImport.objects.filter(pk=bulk.pk, status=BulkImport.DONE).first(), "the import")

    assert (done.people_done, done.accepted) == (4, 9)


@pytest.mark.django_db
def test_it_forgets_an_erased_persons_report_lines(aaron, tmp_path, media_root):
    bulk = _run(_zip(tmp_path))
    person_delete(person=Person.objects.get(name="Group"))

    bulk.refresh_from_db()
    assert "Group" not in {line.get("person") for line in bulk.report} and len(bulk.report) == 4


@pytest.mark.django_db(transaction=True)
def test_it_takes_the_same_import_through_the_api(operator_user, aaron, tmp_path, media_root, celery_worker):
    client = api_client(operator_user)
    archive = SimpleUploadedFile("staff.zip", _zip(tmp_path).read_bytes())

    response = client.post("/api/imports/", {"archive": archive, "consent": "true"}, format="multipart")

    assert response.status_code == 202
    url = response.json()["status_url"]
    wait_until(lambda: client.get(url).json()["import"]["status"] == "done", "the import")
    body = client.get(url).json()
    assert (body["import"]["accepted"], body["import"]["skipped"], len(body["report"])) == (4, 1, 6)
    assert {"kind": "code already used", "person": "Tony Blair", "photo": "",
            "detail": "the code AP is Aaron Peirsol's already: not imported"} in body["report"]


@pytest.mark.django_db
def test_it_says_when_redis_is_not_there_before_starting(settings, media_root):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"

    with pytest.raises(CommandError, match="Redis/Valkey is not reachable"):
        call_command("import_people", str(E2E), "--consent", stdout=io.StringIO(), stderr=io.StringIO())

    assert not BulkImport.objects.exists()


@pytest.mark.django_db
def test_it_rejects_a_photo_over_the_upload_cap_before_reading_it(settings, media_root):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    bulk = import_create(actor=None, consent=True, folder=str(E2E))
    while bulk.status not in BulkImport.ENDED:
        bulk = import_batch(import_id=bulk.pk)

    assert (bulk.accepted, bulk.rejected) == (0, 9)
    assert all(detail.startswith("file is too large") for kind, _, _, detail in report_rows(bulk)
               if kind == "photo rejected")
