"""Erasure's part in imports: an erased person leaves no line in any import's report."""

from imports.models import BulkImport


def imports_forget(*, person_id: int) -> int:
    """Drop the person's report lines (their name was in them); returns how many imports changed."""
    changed = 0
    for bulk in BulkImport.objects.only("report"):  # imports are few: no JSON query per backend
        kept = [line for line in bulk.report if line.get("person_id") != person_id]
        if len(kept) != len(bulk.report):
            BulkImport.objects.filter(pk=bulk.pk).update(report=kept)
            changed += 1
    return changed
