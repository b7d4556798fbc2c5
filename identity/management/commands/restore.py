"""`manage.py restore PATH [--force]`: the install rebuilt from a backup archive, once the archive and
its manifest check out (faceapp/backup/)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faceapp.backup.archive import ArchiveRefused
from faceapp.backup.services import backup_restore


class Command(BaseCommand):
    help = "Restore a backup archive into this (empty) install: migrates, loads every row and the media."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The archive `manage.py backup` wrote.")
        parser.add_argument("--force", action="store_true",
                            help="Replace what this install holds (rows and media) instead of refusing.")

    def handle(self, *args, path: Path, force: bool = False, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            done = backup_restore(path, key=settings.FACEAPP_BACKUP_KEY, force=force)
        except ArchiveRefused as error:
            raise CommandError(f"refused: {error}") from None
        manifest = done["manifest"]
        rows = sum(entry["rows"] for entry in manifest["models"])
        self.stdout.write(
            f"restored {rows} rows and {done['files']} media files from a {manifest['database']} backup of "
            f"{manifest['created_at']} (faceapp {manifest['versions']['faceapp']}) in {done['seconds']} s; "
            "the gallery files are rebuilt on first use"
        )
