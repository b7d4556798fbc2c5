"""An import as its page and its websocket event show it."""

from django.urls import reverse
from django.utils import timezone

from imports.models import BulkImport


def import_group(import_id: int) -> str:
    return f"import-{import_id}"


def import_progress(bulk: BulkImport) -> dict:
    """Counts, rate and time left: the `import.progress` event's "progress" object."""
    started = bulk.started_at
    ended = bulk.finished_at or timezone.now()
    seconds = (ended - started).total_seconds() if started else 0.0
    rate = bulk.photos_done / seconds if seconds > 0 else 0.0
    left = (bulk.photos_total - bulk.photos_done) / rate if rate > 0 and bulk.status == BulkImport.RUNNING else None
    return {
        "id": bulk.pk,
        "status": bulk.status,
        "status_text": bulk.get_status_display(),
        "error": bulk.error,  # why it failed: no name in it
        "people_total": bulk.people_total, "people_done": bulk.people_done,
        "photos_total": bulk.photos_total, "photos_done": bulk.photos_done,
        "accepted": bulk.accepted, "rejected": bulk.rejected, "skipped": bulk.skipped,
        "photos_per_second": round(rate, 2),
        "seconds_left": None if left is None else round(left),
        "problems": len(bulk.report),
        "url": reverse("import-detail", args=[bulk.pk]),
    }


REPORT_COLUMNS = ["kind", "person", "photo", "detail"]
KIND_TEXT = {
    "rejected": "photo rejected", "no_accepted_photo": "no accepted photo", "code_taken": "code already used",
    "duplicate_face": "already enrolled as someone else", "no_consent": "no consent", "not_a_photo": "not a photo",
    "missing_photo": "photo missing", "csv": "CSV problem", "group_missing": "group missing",
}


def report_rows(bulk: BulkImport) -> list[list[str]]:
    """The report's lines for its page and its CSV, in the order they were found."""
    return [[KIND_TEXT.get(line.get("kind", ""), line.get("kind", "")), line.get("person", ""),
             line.get("photo", ""), line.get("detail", "")] for line in bulk.report]
