"""An upgrade: the archive of an older faceapp (tests/fixtures/backups/, made at commit 1b8928c,
before the last migrations of identity, audit and integrations) restores into a new install,
which migrates it to today's schema with every person, sample, visit and attendance day intact
and recognises the people it held."""

import json
import subprocess
import sys

from django.conf import settings

from tests import backup_data
from tests.faces_data import FIXTURES

ARCHIVE = FIXTURES / "backups" / "faceapp-1b8928c.tar"
READ_BACK = """
import json
from attendance.models import AttendanceEvent, RegisterDay
from django.db.migrations.recorder import MigrationRecorder
from identity.face_engine import get_face_engine
from identity.models import FaceSample, MatchLog, Person
from identity.services.gallery import gallery_current
from tests import faces_data
log = MatchLog.objects.get()
day = RegisterDay.objects.get()
probe = get_face_engine().analyze(faces_data.bgr("lfw_person_a_2.jpg"))[0]
(match,) = gallery_current().search(probe.embedding[None])  # the gallery rebuilt from the restored samples
print(json.dumps({
    "people": sorted(Person.objects.values_list("name", "code")),
    "samples": sorted(FaceSample.objects.values_list("person__name", "status", "model_id")),
    "sample_files": sorted(bool(s.photo.storage.exists(s.photo.name)) for s in FaceSample.objects.all()),
    "visit": [log.person.name, log.snapshot.camera.name, log.snapshot.deleted_camera, log.crop.storage.exists(log.crop.name)],
    "events": list(AttendanceEvent.objects.values_list("person__name", "kind")),
    "day": [day.person.name, str(day.day), day.status],
    "identity_migration": MigrationRecorder.Migration.objects.filter(app="identity").order_by("name").last().name,
    "probe_named": [Person.objects.get(pk=match.person_id).name, round(match.similarity, 2)],
}))
"""


def test_it_restores_an_older_faceapps_archive_and_upgrades_it_intact(tmp_path):
    assert json.loads(backup_data.members(ARCHIVE)["manifest.json"])["migrations"]["identity"][-1] == \
        "0010_camera_source_split"
    env = backup_data.fresh_env(tmp_path / "restored")

    restored = backup_data.manage(env, "restore", str(ARCHIVE))
    assert restored.returncode == 0, restored.stderr
    read = subprocess.run([sys.executable, "manage.py", "shell", "-c", READ_BACK], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=600)
    assert read.returncode == 0, read.stderr

    found = json.loads(read.stdout.strip().splitlines()[-1])
    assert found["people"] == [["Aaron Peirsol", "AP"], ["George W Bush", "GWB"]]
    assert [status for _, status, _ in found["samples"]] == ["accepted", "accepted"] and all(found["sample_files"])
    assert found["visit"] == ["Aaron Peirsol", "Front door", "", True]  # the new field's default on an old row
    assert found["events"] and all(name == "Aaron Peirsol" for name, _ in found["events"])
    (archived_day,) = backup_data.rows(ARCHIVE)["db/attendance.registerday.jsonl"]
    assert found["day"] == ["Aaron Peirsol", archived_day["fields"]["day"], archived_day["fields"]["status"]]
    assert found["identity_migration"] == sorted(p.stem for p in (settings.BASE_DIR / "identity" / "migrations").glob("0*.py"))[-1]
    name, similarity = found["probe_named"]
    assert name == "Aaron Peirsol" and similarity > 0.5
