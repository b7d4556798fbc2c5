"""The workers' part of an import: one batch of people per task, the next batch queued after it;
and the scheduler's sweep that ends the imports whose batch was lost."""

import datetime as dt

from celery import shared_task
from django.conf import settings

from imports.ending import imports_end_stuck
from imports.models import BulkImport
from imports.services import import_batch, import_enqueue


@shared_task(name="imports.import_batch")
def import_batch_task(import_id: int) -> str:
    bulk = import_batch(import_id=import_id)
    if bulk.status == BulkImport.RUNNING:
        import_enqueue(bulk)
    return bulk.status


@shared_task(name="imports.end_stuck")
def imports_end_stuck_task() -> list[int]:
    return imports_end_stuck(older_than=dt.timedelta(minutes=settings.FACEAPP_IMPORT_STUCK_MINUTES))
