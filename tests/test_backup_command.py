"""`manage.py backup`: one archive, readable by its owner only, sealed with FACEAPP_BACKUP_KEY when
set (then opened only by that key, and refused when altered), holding a manifest of what it holds."""

import io
import json
import stat
import tarfile

import pytest
from django.core.management import CommandError, call_command

from identity.models import FaceSample
from tests import backup_data
from tests.review_data import make_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_writes_an_archive_only_its_owner_reads_with_a_manifest(media_root, tmp_path):
    alice = make_person("Alice", "A1")
    archive = tmp_path / "faceapp.tar"

    call_command("backup", str(archive), stdout=io.StringIO())

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = json.loads(backup_data.members(archive)["manifest.json"])
    counts = {entry["model"]: entry["rows"] for entry in manifest["models"]}
    assert counts["identity.person"] == 1 and counts["identity.facesample"] == 1
    assert manifest["model_ids"]["samples"] == [FaceSample.objects.get(person=alice).model_id]
    assert manifest["media"]["files"] == 2 and manifest["encrypted"] is False
    assert "identity" in manifest["migrations"] and manifest["versions"]["django"]
    (row,) = backup_data.rows(archive)["db/identity.person.jsonl"]
    assert row["fields"]["consent_given_at"] == alice.consent_given_at.isoformat().replace("+00:00", "Z")  # to the µs
    with pytest.raises(CommandError, match="exists"):
        call_command("backup", str(archive), stdout=io.StringIO())


def test_it_seals_the_archive_with_the_key_and_refuses_it_altered(media_root, tmp_path, settings):
    make_person("Alice", "A1")
    archive = tmp_path / "faceapp.tar.sealed"
    settings.FACEAPP_BACKUP_KEY = "a long passphrase"
    call_command("backup", str(archive), stdout=io.StringIO())
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert b"Alice" not in archive.read_bytes()
    with pytest.raises(tarfile.TarError):
        tarfile.open(archive)

    fresh = backup_data.fresh_env(tmp_path / "fresh")
    without = backup_data.manage(fresh, "restore", str(archive))
    assert "refused: this backup is encrypted: set FACEAPP_BACKUP_KEY" in without.stderr
    wrong = backup_data.manage({**fresh, "FACEAPP_BACKUP_KEY": "another"}, "restore", str(archive))
    assert "refused: FACEAPP_BACKUP_KEY does not open this archive, or it was altered" in wrong.stderr
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 1
    altered = tmp_path / "altered.sealed"
    altered.write_bytes(bytes(data))
    flipped = backup_data.manage({**fresh, "FACEAPP_BACKUP_KEY": "a long passphrase"}, "restore", str(altered))
    assert "refused: FACEAPP_BACKUP_KEY does not open this archive, or it was altered" in flipped.stderr
    cut = tmp_path / "cut.sealed"
    cut.write_bytes(archive.read_bytes()[:-100])
    short = backup_data.manage({**fresh, "FACEAPP_BACKUP_KEY": "a long passphrase"}, "restore", str(cut))
    assert "refused:" in short.stderr and short.returncode == 1

    restored = backup_data.manage({**fresh, "FACEAPP_BACKUP_KEY": "a long passphrase"}, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "restored" in restored.stdout


def test_it_carries_the_media_of_a_bucket(s3_media, tmp_path):
    alice = make_person("Alice", "A1")
    sample = FaceSample.objects.get(person=alice)
    photo, names = sample.photo.read(), sorted([sample.photo.name, sample.crop.name])
    archive = tmp_path / "faceapp.tar"

    call_command("backup", str(archive), stdout=io.StringIO())
    assert backup_data.media(archive)[f"media/{sample.photo.name}"] == photo

    sample.photo.delete(save=False)
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert s3_media.keys() == names
    assert FaceSample.objects.get(person=alice).photo.read() == photo
    assert not s3_media.local_media.exists()
