"""The workers' part of an import: one batch of people per task, the next batch queued after it."""

from celery import shared_task

from imports.models import BulkImport
from imports.services import import_batch, import_enqueue


@shared_task(name="imports.import_batch")
def import_batch_task(import_id: int) -> str:
    bulk = import_batch(import_id=import_id)
    if bulk.status == BulkImport.RUNNING:
        import_enqueue(bulk)
    return bulk.status
