"""The scheduled backup (identity.tasks.backup_scheduled_task, run by a real worker): an archive in
FACEAPP_BACKUP_DIR each run, sealed when FACEAPP_BACKUP_KEY is set, the newest FACEAPP_BACKUP_KEEP kept."""

import stat

import pytest

from identity.tasks import backup_scheduled_task
from tests.review_data import make_person
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _newest(folder):
    return max(folder.glob("faceapp-*.tar.sealed"), default=None)


def test_it_keeps_the_newest_archives_of_the_schedule(celery_worker, media_root, tmp_path, settings):
    make_person("Alice", "A1")
    folder = tmp_path / "backups"
    settings.FACEAPP_BACKUP_DIR, settings.FACEAPP_BACKUP_KEEP = str(folder), 2
    settings.FACEAPP_BACKUP_KEY = "a long passphrase"
    made: list = []
    for run in range(3):
        backup_scheduled_task.delay()
        wait_until(lambda: _newest(folder) not in (None, *made), f"the worker's backup {run + 1}")
        made.append(_newest(folder))
    wait_until(lambda: len(list(folder.iterdir())) == 2, "the oldest backup deleted")

    kept = sorted(folder.iterdir())
    assert kept == made[-2:] and len(made) == 3
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in kept} == {0o600}


def test_it_writes_nothing_without_a_folder(settings):
    settings.FACEAPP_BACKUP_DIR = ""
    assert backup_scheduled_task() is None
