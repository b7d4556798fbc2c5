"""`manage.py restore`: real data (LFW photos enrolled and recognised by a real worker, a review, the
attendance that follows) backed up and restored into fresh installs, SQLite and PostgreSQL, in
subprocesses: every row and file equal, the gallery rebuilt the same, and the restored install names the same person. Archives
that were altered, made by a newer faceapp, or an install that holds data are refused."""

import hashlib
import io
import json
import re
import sqlite3

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from attendance.models import AttendanceRecord
from identity.models import FaceSample, MatchLog, Person
from identity.services import enrolment, recognition, review
from tests import backup_data
from tests.faces_data import FIXTURES
from tests.review_data import make_person, make_snapshot

pytestmark = pytest.mark.django_db(transaction=True)

DEADLINE = 60  # seconds per wait: a deadline for slow machines, not a timing assertion
ENROLLED = ["Colin_Powell", "Tony_Blair", "Donald_Rumsfeld"]
PROBE = "Colin_Powell_0003.jpg"

# Run in the restored install: the probe photo recognised there, in that process (no worker).
RECOGNISE = """
from django.core.files.base import ContentFile
from identity.models import Snapshot
from identity.services.recognition import snapshot_recognize
snapshot = Snapshot()
snapshot.image.save("probe.jpg", ContentFile(open({path!r}, "rb").read()), save=False)
snapshot.save()
done = snapshot_recognize(snapshot_id=snapshot.pk)
from tests.backup_data import gallery_fingerprint
print(gallery_fingerprint())
print(done.status, [(log.decision, log.person_id) for log in done.logs.all()])
"""


def _lfw(name: str) -> tuple[str, bytes]:
    path = FIXTURES / "e2e" / name
    return path.name, path.read_bytes()


def _real_install(operator_user) -> Person:
    """Three people enrolled and a probe recognised by the real worker, its log confirmed."""
    people = [enrolment.person_enroll(name=name.replace("_", " "), consent=True,
                                      photos=[_lfw(f"{name}_0001.jpg"), _lfw(f"{name}_0002.jpg")])[0]
              for name in ENROLLED]
    samples = enrolment.samples_wait(sample_ids=list(FaceSample.objects.values_list("pk", flat=True)), timeout=DEADLINE)
    assert {sample.status for sample in samples} == {FaceSample.ACCEPTED}
    snapshot = recognition.snapshot_submit(image=_lfw(PROBE))
    snapshot = recognition.snapshot_wait(snapshot_id=snapshot.pk, timeout=DEADLINE)
    (log,) = MatchLog.objects.filter(snapshot=snapshot)
    assert log.person_id == people[0].pk
    review.log_confirm(log=log, user=operator_user)
    return people[0]


def _restored_and_compared(archive, tmp_path, name: str, database_url: str = "") -> tuple[str, str]:
    """Restore into a fresh install, back that up again and compare; its gallery's fingerprint and
    what it recognises in the probe."""
    env = backup_data.fresh_env(tmp_path / name, database_url)
    restored = backup_data.manage(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    again = tmp_path / f"{name}-again.tar"
    backed = backup_data.manage(env, "backup", str(again))
    assert backed.returncode == 0, backed.stderr
    assert not backup_data.rows_differing(archive, again)
    assert backup_data.media(again) == backup_data.media(archive)
    recognised = backup_data.manage(env, "shell", "-c", RECOGNISE.format(path=str(FIXTURES / "e2e" / PROBE)))
    assert recognised.returncode == 0, recognised.stderr
    assert any((tmp_path / name / "index").glob("*")), "the gallery's files were not rebuilt"
    fingerprint, decided = recognised.stdout.strip().splitlines()[-2:]
    return fingerprint, decided


def test_it_restores_real_data_into_fresh_sqlite_and_postgresql(operator_user, celery_worker, media_root, tmp_path):
    colin = _real_install(operator_user)
    assert AttendanceRecord.objects.filter(person=colin).exists()
    archive = tmp_path / "faceapp.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    assert len(backup_data.media(archive)) >= 6 + 1 + 1  # photos and crops, the probe, its log's crop

    expected = (backup_data.gallery_fingerprint(), f"done [('known', {colin.pk})]")
    assert _restored_and_compared(archive, tmp_path, "sqlite") == expected
    with backup_data.postgres_database("faceapp_backup_restore") as database_url:
        if database_url is None:
            pytest.skip("no PostgreSQL on 127.0.0.1:5432: the restore into PostgreSQL was not run")
        assert _restored_and_compared(archive, tmp_path, "postgresql", database_url) == expected


def test_it_refuses_an_altered_archive(media_root, tmp_path):
    make_person("Alice", "A1")
    archive = tmp_path / "faceapp.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    photo = sorted(backup_data.media(archive))[0]
    altered = backup_data.rewritten(archive, tmp_path / "altered.tar", {photo: b"not the photo"})
    env = backup_data.fresh_env(tmp_path / "fresh")

    refused = backup_data.manage(env, "restore", str(altered))

    assert refused.returncode == 1
    assert f"refused: the archive does not match its manifest (damaged or altered): {photo} differs" in refused.stderr


def _newer(manifest: dict) -> None:
    manifest["migrations"]["identity"].append("9999_from_the_future")


def _other_model(manifest: dict) -> None:
    manifest["model_ids"]["samples"] = ["another_embedder"]


@pytest.mark.parametrize("change, message", [
    (_newer, "refused: the backup was made by a newer faceapp (.*): it has migrations this one lacks "
             r"\(identity.9999_from_the_future\)"),
    (_other_model, "refused: the backup's faces were embedded with another_embedder, and this install embeds with"),
], ids=["newer", "another-model"])
def test_it_refuses_an_archive_this_install_cannot_take(change, message, media_root, tmp_path):
    make_person("Alice", "A1")
    archive = tmp_path / "faceapp.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    manifest = json.loads(backup_data.members(archive)["manifest.json"])
    change(manifest)
    changed = backup_data.rewritten(archive, tmp_path / "changed.tar", {"manifest.json": json.dumps(manifest).encode()})

    refused = backup_data.manage(backup_data.fresh_env(tmp_path / "fresh"), "restore", str(changed))

    assert refused.returncode == 1
    assert re.search(message, refused.stderr), refused.stderr
    database = tmp_path / "fresh" / "db.sqlite3"  # refused before anything was written: not even migrated
    assert not database.exists() or not sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()


def test_it_refuses_an_install_that_holds_data_unless_forced(media_root, tmp_path):
    alice = make_person("Alice", "A1")
    archive = tmp_path / "faceapp.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    make_person("Bob", "B1")

    with pytest.raises(CommandError, match=r"refused: this install is not empty \(.*identity\.Person.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert Person.objects.count() == 2

    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert list(Person.objects.values_list("pk", "name")) == [(alice.pk, "Alice")]
    assert sorted(backup_data.media(archive)) == sorted(
        f"media/{name}" for name in (FaceSample.objects.get().photo.name, FaceSample.objects.get().crop.name))


LAST = ("identity", "0013_snapshot_deleted_camera")  # adds Snapshot.deleted_camera ("" for older rows)


def _of_the_older_faceapp(archive, target):
    """The archive as the faceapp before LAST would have written it: without LAST and every
    migration that depends on it (identity's after it, other apps' that need those), without the
    rows of models those migrations made, and its snapshots without the field LAST adds."""
    manifest = json.loads(backup_data.members(archive)["manifest.json"])
    loader = MigrationLoader(None, ignore_no_migrations=True)
    later = set(loader.graph.backwards_plan(LAST))
    manifest["migrations"] = {app: [name for name in names if (app, name) not in later]
                              for app, names in manifest["migrations"].items()}
    state = loader.project_state([(app, max(names)) for app, names in manifest["migrations"].items() if names])
    models = {model._meta.label_lower for model in state.apps.get_models()}
    unborn = {name: None for name in manifest["members"] if name.startswith("db/") and name[3:-6] not in models}
    for name in unborn:
        del manifest["members"][name]
    manifest["models"] = [entry for entry in manifest["models"] if entry["member"] not in unborn]
    member = "db/identity.snapshot.jsonl"
    rows = [json.loads(line) for line in backup_data.members(archive)[member].decode().splitlines()]
    for row in rows:
        assert row["fields"].pop("deleted_camera") == ""
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    manifest["members"][member] = hashlib.sha256(data).hexdigest()
    return backup_data.rewritten(archive, target, {member: data, "manifest.json": json.dumps(manifest).encode(), **unborn})


def test_it_restores_an_archive_of_an_older_faceapp_into_a_new_database_and_upgrades_it(media_root, tmp_path):
    make_snapshot(timezone.now())
    make_person("Alice", "A1")
    archive = tmp_path / "faceapp.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    older = _of_the_older_faceapp(archive, tmp_path / "older.tar")
    env = backup_data.fresh_env(tmp_path / "fresh")

    restored = backup_data.manage(env, "restore", str(older))
    assert restored.returncode == 0, restored.stderr
    again = tmp_path / "again.tar"
    assert backup_data.manage(env, "backup", str(again)).returncode == 0
    assert backup_data.rows(again) == backup_data.rows(archive)
    assert backup_data.media(again) == backup_data.media(archive)


def test_it_refuses_an_archive_of_an_older_faceapp_into_a_database_already_made(media_root, tmp_path):
    make_snapshot(timezone.now())
    archive = tmp_path / "faceapp.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    older = _of_the_older_faceapp(archive, tmp_path / "older.tar")

    with pytest.raises(CommandError, match=r"refused: the backup was made by an older faceapp \(.*\), before migrations "
                       r"(\w+\.\w+, )*identity\.0013_snapshot_deleted_camera(, \w+\.\w+)*: restore it into a new "
                       r"database"):
        call_command("restore", str(older), "--force", stdout=io.StringIO())
