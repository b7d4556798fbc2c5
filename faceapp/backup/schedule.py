"""The scheduled backup (celery beat, when FACEAPP_BACKUP_DIR is set): an archive every
FACEAPP_BACKUP_EVERY_HOURS into that folder (0700), the newest FACEAPP_BACKUP_KEEP kept."""

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings

from faceapp.backup.services import backup_write

logger = logging.getLogger(__name__)
PREFIX = "faceapp-"


def _archives(folder: Path) -> list[Path]:
    """This schedule's archives in the folder, oldest first (their names sort by time)."""
    return sorted(path for path in folder.glob(f"{PREFIX}*.tar*") if not path.name.endswith(".part"))


def backup_scheduled() -> Path | None:
    """Write one archive and delete the oldest beyond FACEAPP_BACKUP_KEEP; None when off."""
    if not settings.FACEAPP_BACKUP_DIR:
        return None
    folder = Path(settings.FACEAPP_BACKUP_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    key = settings.FACEAPP_BACKUP_KEY
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{PREFIX}{stamp}.tar{'.sealed' if key else ''}"
    manifest = backup_write(path, key=key)
    logger.info("backup %s written: %s media files, %s s", path, manifest["media"]["files"], manifest["seconds"])
    for old in _archives(folder)[: -max(settings.FACEAPP_BACKUP_KEEP, 1)]:
        old.unlink()
        logger.info("backup %s deleted (FACEAPP_BACKUP_KEEP=%s)", old, settings.FACEAPP_BACKUP_KEEP)
    return path
