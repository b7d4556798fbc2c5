"""How an import ends: done, cancelled, failed by an unexpected error, found stuck by the
scheduler, or holding a person being erased. However it ends, its ZIP (everyone's photos,
rejected ones too) and its plan (names and paths) are deleted then; the report stays."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from identity.services.files import files_delete_on_commit
from identity.services.realtime import push
from imports.models import BulkImport
from imports.presenters import import_group, import_progress

# No name goes in these texts: the error stays on the import, where erasure does not look.
WHAT_STAYS = "What is enrolled stays; importing the same photos again goes on from there."


def batch_failure_text(*, error: BaseException, person: int, people_total: int) -> str:
    return (f"Failed: an unexpected error ({type(error).__name__}) stopped it at person {person} of "
            f"{people_total}. Its ZIP and plan are deleted. {WHAT_STAYS}")


def stuck_text(*, minutes: int) -> str:
    return (f"Failed: no progress for {minutes} minutes (its work was lost: a worker or the broker stopped). "
            f"Its ZIP and plan are deleted. {WHAT_STAYS}")


ERASED_TEXT = f"Ended: a person in it was erased, so its ZIP and plan are deleted. {WHAT_STAYS}"


def archive_drop(bulk: BulkImport) -> None:
    """Delete the import's ZIP once this commits: it holds everyone's photos, rejected ones too;
    the accepted ones live on as samples (erasure reaches those), the report needs none."""
    if bulk.archive:
        files_delete_on_commit([bulk.archive.name])
        bulk.archive = ""


def import_end(*, bulk: BulkImport, status: str, error: str = "") -> BulkImport:
    """End `bulk` (a row locked by the caller's transaction) with `status` unless it has ended
    already, and delete its ZIP and plan either way."""
    if bulk.status not in BulkImport.ENDED:
        bulk.status, bulk.error, bulk.finished_at = status, error, timezone.now()
    bulk.plan = []
    archive_drop(bulk)
    bulk.save(update_fields=["status", "error", "finished_at", "plan", "archive"])
    return bulk


def imports_end_stuck(*, older_than: dt.timedelta) -> list[int]:
    """Fail the imports pending or running with no progress for `older_than` (their batch lost:
    a broker restarted without its queue, a worker killed past its time limit). Returns the ids."""
    cutoff = timezone.now() - older_than
    ended = []
    # A batch finishing now waits on the lock, then finds its import ended and keeps it so.
    with transaction.atomic():
        stuck = BulkImport.objects.select_for_update().filter(
            status__in=(BulkImport.PENDING, BulkImport.RUNNING), progressed_at__lt=cutoff)
        for bulk in stuck:
            ended.append(import_end(bulk=bulk, status=BulkImport.FAILED,
                                    error=stuck_text(minutes=round(older_than.total_seconds() / 60))))
    for bulk in ended:
        import_push(bulk)
    return [bulk.pk for bulk in ended]


def import_push(bulk: BulkImport) -> None:
    push(import_group(bulk.pk), {"type": "import.progress", "progress": import_progress(bulk)})
