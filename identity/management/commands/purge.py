"""`manage.py purge [--dry-run]`: erase recognition data past its retention period now."""

from django.core.management.base import BaseCommand

from identity.services.retention import purge_expired


class Command(BaseCommand):
    help = "Erase snapshots, face crops and strangers older than the FACEAPP_KEEP_* settings."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Only count what would be erased.")

    def handle(self, *args, dry_run: bool = False, **options):
        counts = purge_expired(dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        for kind, count in counts.items():
            self.stdout.write(f"{kind}: {count} {verb}")
