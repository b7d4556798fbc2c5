"""Every import ends, and its ZIP and plan go with it: an unexpected error in a batch fails it
with a message (on its page, its status, its socket); the scheduler fails one whose work was lost
(no progress for FACEAPP_IMPORT_STUCK_MINUTES); a cancel deletes the ZIP at once."""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from faceapp.celery import app
from imports.models import BulkImport
from imports.services import import_batch, import_cancel, import_create
from tests.event_loops import run_scenario
from tests.test_consumers import TIMEOUT, _communicator
from tests.test_imports import _zip, _zips_stored
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _queued_import(tmp_path) -> BulkImport:
    """An import of the staff ZIP, its first batch queued for a worker not started yet."""
    return import_create(actor=None, consent=True, archive=SimpleUploadedFile("staff.zip", _zip(tmp_path).read_bytes()))


def _failed(bulk: BulkImport) -> BulkImport:
    return wait_until(lambda: BulkImport.objects.filter(pk=bulk.pk, status=BulkImport.FAILED).first(),
                      "the import to fail")


def test_it_fails_an_import_whose_zip_is_gone_and_says_why(request, client, operator_user, tmp_path, media_root,
                                                           empty_broker):
    bulk = _queued_import(tmp_path)
    (media_root / bulk.archive.name).unlink()  # under the import: a disk cleaned, a bucket emptied

    request.getfixturevalue("celery_worker")
    failed = _failed(bulk)

    assert failed.error.startswith("Failed: an unexpected error (FileNotFoundError) stopped it at person 1 of 6.")
    assert failed.plan == [] and not failed.archive and failed.finished_at
    client.force_login(operator_user)
    assert failed.error in client.get(reverse("import-detail", args=[bulk.pk])).content.decode()
    assert client.get(reverse("import-status", args=[bulk.pk])).json()["progress"]["error"] == failed.error


def test_it_fails_an_import_whose_plan_cannot_be_read_and_deletes_its_zip(request, tmp_path, media_root,
                                                                         empty_broker):
    bulk = _queued_import(tmp_path)
    plan = BulkImport.objects.get(pk=bulk.pk).plan
    # A row this version cannot read (an entry without its photos): an error in the middle of a batch.
    BulkImport.objects.filter(pk=bulk.pk).update(plan=[plan[0], {"name": plan[1]["name"]}, *plan[2:]])

    request.getfixturevalue("celery_worker")
    failed = _failed(bulk)

    assert "unexpected error (KeyError) stopped it at person 2 of 6" in failed.error
    assert failed.plan == [] and not failed.archive and _zips_stored(media_root) == []
    assert failed.people_done == 1  # what the batch did before the error is counted


def test_it_tells_the_imports_socket_that_it_failed(client, operator_user, tmp_path, media_root, empty_broker):
    bulk = _queued_import(tmp_path)
    (media_root / bulk.archive.name).unlink()
    communicator = _communicator(f"/ws/imports/{bulk.pk}/", operator_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(import_batch)(import_id=bulk.pk)
        received = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return received

    progress = run_scenario(scenario)["progress"]
    assert progress["status"] == "failed" and "unexpected error (FileNotFoundError)" in progress["error"]


def _backdated(bulk: BulkImport, minutes: int) -> None:
    BulkImport.objects.filter(pk=bulk.pk).update(progressed_at=timezone.now() - dt.timedelta(minutes=minutes))


def test_the_scheduler_ends_an_import_whose_work_was_lost(settings, tmp_path, media_root, empty_broker,
                                                          request):
    settings.FACEAPP_IMPORT_STUCK_MINUTES = 30
    pending = _queued_import(tmp_path)  # never taken
    running = _queued_import(tmp_path)
    import_batch(import_id=running.pk, batch=1)  # 1 of 6 done, then its next batch is lost
    recent = _queued_import(tmp_path)
    import_batch(import_id=recent.pk, batch=1)
    app.control.purge()  # the broker restarted without its queue: no batch will come
    for bulk, minutes in ((pending, 31), (running, 31), (recent, 29)):
        _backdated(bulk, minutes)
    request.getfixturevalue("celery_worker")

    app.send_task(app.conf.beat_schedule["end-stuck-imports"]["task"])

    for bulk in (_failed(pending), _failed(running)):
        assert bulk.error.startswith("Failed: no progress for 30 minutes")
        assert bulk.plan == [] and not bulk.archive
    running = BulkImport.objects.get(pk=running.pk)
    assert (running.people_done, running.people_total) == (1, 6)
    kept = BulkImport.objects.get(pk=recent.pk)
    assert kept.status == BulkImport.RUNNING and kept.plan
    assert _zips_stored(media_root) == [media_root / kept.archive.name]


def test_it_deletes_the_zip_and_plan_of_a_running_import_at_once_when_cancelled(tmp_path, media_root, empty_broker):
    bulk = _queued_import(tmp_path)
    import_batch(import_id=bulk.pk, batch=1)

    import_cancel(bulk=bulk)

    cancelled = BulkImport.objects.get(pk=bulk.pk)
    assert cancelled.status == BulkImport.CANCELLED and cancelled.plan == [] and not cancelled.archive
    assert _zips_stored(media_root) == []
