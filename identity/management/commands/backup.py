"""`manage.py backup PATH`: one archive of the install (rows, media, manifest), 0600, sealed with
FACEAPP_BACKUP_KEY when it is set (faceapp/backup/)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faceapp.backup.services import backup_write


class Command(BaseCommand):
    help = "Write a backup archive of the database and the media (encrypted when FACEAPP_BACKUP_KEY is set)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The archive to write (must not exist).")

    def handle(self, *args, path: Path, **options):
        try:
            manifest = backup_write(path, key=settings.FACEAPP_BACKUP_KEY)
        except FileExistsError as error:
            raise CommandError(str(error)) from None
        rows = sum(entry["rows"] for entry in manifest["models"])
        sealed = "encrypted" if manifest["encrypted"] else "not encrypted (FACEAPP_BACKUP_KEY unset)"
        self.stdout.write(
            f"{path}: {rows} rows of {len(manifest['models'])} models, {manifest['media']['files']} media files "
            f"({manifest['media']['bytes']} bytes), {path.stat().st_size} bytes, {sealed}, {manifest['seconds']} s"
        )
        if manifest["media"]["gone"]:
            self.stdout.write(f"{len(manifest['media']['gone'])} media files were deleted while it ran (not in it)")
