"""``manage.py import_people PATH``: enrol a ZIP or a folder of photos (a folder per person, or
photos named by person), with an optional CSV (name, code, photos, consent); a progress bar
while the workers go through it, then the report."""

import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from redis.exceptions import RedisError
from tqdm import tqdm

from faceapp.redis_client import redis_client
from identity.views.refusals import refusal_text
from imports.models import BulkImport
from imports.presenters import report_rows
from imports.services import import_batch, import_cancel, import_create

POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Enrol people from a ZIP or a folder of photos; re-running the same import enrols nothing twice."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a .zip, or a folder: one sub-folder per person, or photos named by person")
        parser.add_argument("--csv", help="a CSV with columns name, code, photos (; between them), consent")
        parser.add_argument("--consent", action="store_true",
                            help="every person in it consented to be enrolled (where the CSV does not say)")
        parser.add_argument("--inline", action="store_true",
                            help="do the work in this process instead of the Celery workers")

    def handle(self, *args, path: str, csv: str | None, consent: bool, inline: bool, **options):
        try:
            redis_client().ping()  # the cache and the broker: an import needs both, say so before starting
        except RedisError as error:
            raise CommandError(f"Redis/Valkey is not reachable ({error}): start the stack (make run) or set "
                               "REDIS_URL") from error
        source = Path(path)
        csv_text = Path(csv).read_text("utf-8-sig") if csv else None
        try:
            if source.is_file():
                with source.open("rb") as handle:
                    bulk = import_create(actor=None, consent=consent, archive=File(handle, name=source.name),
                                         csv_text=csv_text)
            else:
                bulk = import_create(actor=None, consent=consent, folder=str(source), csv_text=csv_text)
        except ValidationError as error:
            raise CommandError(refusal_text(error)) from error
        self.stdout.write(f"import #{bulk.pk}: {bulk.people_total} people, {bulk.photos_total} photos")
        try:
            bulk = self._follow(bulk, inline)
        except KeyboardInterrupt:
            bulk = import_cancel(bulk=bulk)
            self.stderr.write("cancelled: what is enrolled stays; run the same import again to go on")
        self.stdout.write(f"{bulk.get_status_display()}: {bulk.accepted} accepted, {bulk.rejected} rejected, "
                          f"{bulk.skipped} already enrolled, {len(bulk.report)} report line(s)")
        if bulk.error:
            self.stderr.write(bulk.error)
        for kind, person, photo, detail in report_rows(bulk):
            self.stdout.write(" · ".join(part for part in (kind, person, photo, detail) if part))

    def _follow(self, bulk: BulkImport, inline: bool) -> BulkImport:
        with tqdm(total=bulk.photos_total, unit="photo", file=self.stderr._out, dynamic_ncols=True) as bar:
            while bulk.status not in BulkImport.ENDED:
                bulk = import_batch(import_id=bulk.pk) if inline else self._wait(bulk)
                bar.n = bulk.photos_done
                bar.set_postfix(accepted=bulk.accepted, rejected=bulk.rejected, people=bulk.people_done)
                bar.refresh()
        return bulk

    @staticmethod
    def _wait(bulk: BulkImport) -> BulkImport:
        time.sleep(POLL_SECONDS)
        return BulkImport.objects.get(pk=bulk.pk)
