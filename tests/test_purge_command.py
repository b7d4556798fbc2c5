"""`manage.py purge`: expired snapshots, crops and strangers leave the disk and the database;
deleting a person leaves no file and no row of theirs behind."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from attendance.models import AttendanceRecord
from identity.models import FaceSample, MatchLog, Person, ProvisionalIdentity, Snapshot
from identity.services import review
from tests.review_data import make_camera, make_log, make_person, make_provisional, make_snapshot, media_files

pytestmark = pytest.mark.django_db


def _days_ago(days: int, hour: int = 9) -> dt.datetime:
    return (timezone.now() - dt.timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def retention(settings):
    settings.FACEAPP_KEEP_SNAPSHOTS_DAYS = 30
    settings.FACEAPP_KEEP_CROPS_DAYS = 90
    settings.FACEAPP_KEEP_STRANGERS_DAYS = 30


def _purge(*args) -> str:
    out = io.StringIO()
    call_command("purge", *args, stdout=out)
    return out.getvalue()


def test_it_erases_what_expired_and_keeps_the_rest(media_root, retention):
    alice = make_person("Alice", "A1")
    door = make_camera()
    old_log = make_log(seen_at=_days_ago(100), person=alice, camera=door)  # snapshot and crop expired
    mid_log = make_log(seen_at=_days_ago(40), person=alice, camera=door)  # snapshot expired, crop kept
    new_log = make_log(seen_at=_days_ago(2), person=alice, camera=door)  # everything kept
    empty_old = make_snapshot(_days_ago(45), door)  # no face: the row goes too
    stranger = make_provisional("U-0001", last_seen=_days_ago(31))
    stranger_log = make_log(seen_at=_days_ago(31), provisional=stranger, similarity=0.05)
    given_to_alice = make_log(seen_at=_days_ago(32), provisional=stranger, similarity=0.05)
    review.log_reassign(log=given_to_alice, person=alice, user=None)
    promoted = make_provisional("U-0002", last_seen=_days_ago(60))
    promoted_log = make_log(seen_at=_days_ago(60), provisional=promoted, similarity=0.05)
    review.provisional_promote(provisional=promoted, name="Dan", user=None, samples=0)
    attendance_days = AttendanceRecord.objects.count()
    files_before = set(media_files(media_root))

    dry = _purge("--dry-run")

    assert "snapshot_images: 5 would erase" in dry and "snapshots_deleted: 1 would erase" in dry
    assert "log_crops: 1 would erase" in dry and "strangers: 1 would erase" in dry
    assert set(media_files(media_root)) == files_before

    out = _purge()

    assert "snapshot_images: 5 erased" in out and "log_crops: 1 erased" in out and "stranger_log_crops: 1 erased" in out
    for log in (old_log, mid_log, new_log, stranger_log, promoted_log, given_to_alice):
        log.refresh_from_db()
    assert not Snapshot.objects.filter(pk=empty_old.pk).exists()
    assert old_log.snapshot.image.name == "" and mid_log.snapshot.image.name == "" and stranger_log.snapshot.image.name == promoted_log.snapshot.image.name == ""
    assert (old_log.crop.name, bytes(old_log.embedding)) == ("", b"")
    assert mid_log.crop.name and bytes(mid_log.embedding) and new_log.snapshot.image.name and new_log.crop.name
    assert (stranger_log.crop.name, bytes(stranger_log.embedding), stranger_log.provisional) == ("", b"", None)
    assert given_to_alice.crop.name and bytes(given_to_alice.embedding)  # Alice's evidence now
    assert not ProvisionalIdentity.objects.filter(label="U-0001").exists()
    assert ProvisionalIdentity.objects.filter(label="U-0002").exists() and promoted_log.crop.name
    # Every file still on disk belongs to a row that still names it; nothing else is left.
    named = {
        *[s.image.name for s in Snapshot.objects.exclude(image="")],
        *[log.crop.name for log in MatchLog.objects.exclude(crop="")],
        *[f.name for sample in FaceSample.objects.all() for f in (sample.photo, sample.crop) if f],
    }
    assert set(media_files(media_root)) == named
    assert len(files_before - named) == 8  # 5 snapshot images, 1 empty snapshot, 2 crops
    # The logs stay as attendance evidence: no record was lost.
    assert AttendanceRecord.objects.count() == attendance_days
    assert "0 erased" in _purge()  # nothing left to do


def test_it_keeps_everything_when_retention_is_off(media_root, settings):
    settings.FACEAPP_KEEP_SNAPSHOTS_DAYS = settings.FACEAPP_KEEP_CROPS_DAYS = settings.FACEAPP_KEEP_STRANGERS_DAYS = 0
    make_log(seen_at=_days_ago(1000), provisional=make_provisional("U-0003", last_seen=_days_ago(1000)))
    files_before = media_files(media_root)

    out = _purge()

    assert all(line.endswith(": 0 erased") for line in out.strip().splitlines())
    assert media_files(media_root) == files_before


def test_it_deletes_a_person_leaving_no_file_and_no_row(
    media_root, admin_user, admin_client, django_capture_on_commit_callbacks
):
    alice, bob = make_person("Alice", "A1"), make_person("Bob", "B2")
    door = make_camera()
    alone = make_log(seen_at=_days_ago(1), person=alice, camera=door)
    shared = make_snapshot(_days_ago(1), door)
    with_bob = make_log(seen_at=_days_ago(1), person=alice, snapshot=shared)
    make_log(seen_at=_days_ago(1), person=bob, snapshot=shared)
    corrected = make_log(seen_at=_days_ago(1), person=bob, camera=door)  # Bob's guess, really Alice
    review.log_reassign(log=corrected, person=alice, user=admin_user)
    review.log_add_as_sample(log=with_bob, user=admin_user)
    alice_files = {
        *[f.name for s in alice.samples.all() for f in (s.photo, s.crop) if f],
        alone.crop.name, alone.snapshot.image.name, with_bob.crop.name, corrected.crop.name,
    }
    assert alice_files <= set(media_files(media_root))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/identity/person/{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Person.objects.filter(pk=alice.pk).exists()
    assert not FaceSample.objects.filter(person_id=alice.pk).exists()
    assert not AttendanceRecord.objects.filter(person_id=alice.pk).exists()
    assert not MatchLog.objects.filter(pk__in=[alone.pk, with_bob.pk, corrected.pk]).exists()
    assert not alice_files & set(media_files(media_root))
    assert Path(media_root, bob.samples.get().crop.name).is_file()  # Bob keeps his


def test_it_erases_snapshot_files_when_the_admin_deletes_several(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    door = make_camera()
    snapshots = [make_snapshot(_days_ago(1), door) for _ in range(2)]  # failed ones: no logs to keep
    files = {snapshot.image.name for snapshot in snapshots}
    assert files <= set(media_files(media_root))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/identity/snapshot/",
            {"action": "delete_selected", "_selected_action": [str(s.pk) for s in snapshots], "post": "yes"},
        )

    assert response.status_code == 302
    assert not Snapshot.objects.filter(pk__in=[s.pk for s in snapshots]).exists()
    assert not files & set(media_files(media_root))
