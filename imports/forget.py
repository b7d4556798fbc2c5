"""Erasure's part in imports: an erased person leaves no photo in a kept ZIP, no entry in a
plan and no line in a report.

An import still holding them (its plan names them, or its report has their lines while its ZIP
or plan is kept) is ended, its whole ZIP and plan deleted, rather than its ZIP rewritten without
their members: their photos may lie anywhere in it (another folder, a CSV row, directory entries
named after them), a rewrite races the batch reading the ZIP at that moment and copies gigabytes
in the erasure's transaction, and a plan left running would enrol them again from their entry.
Running the same import again goes on where it stopped (nothing is enrolled twice)."""

import re
from functools import partial

from django.db import transaction

from imports.ending import ERASED_TEXT, import_end, import_push
from imports.models import BulkImport

ERASED = "[erased]"


def _folded(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _names_them(entry: dict, name: str, code: str | None) -> bool:
    """Whether a plan entry (or a report line) is the person's: by code, or by name."""
    return bool(code and entry.get("code") == code) or _folded(entry.get("name") or entry.get("person")) == name


def _redacted(text: str, texts: list[str]) -> str:
    for needle in texts:
        text = re.sub(rf"(?<!\w){re.escape(needle)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text


def imports_forget(*, person_id: int, name: str, code: str | None = None) -> int:
    """End the imports still holding the person (ZIP and plan deleted once the erasure commits)
    and take them out of every report: their lines dropped, their name and code blanked in other
    lines ("looks like NAME", "the code is NAME's"). Returns how many imports changed."""
    changed = 0
    # Imports are few: no JSON query per backend. The lock: a batch saving now waits, then keeps the end.
    with transaction.atomic():
        for bulk in BulkImport.objects.select_for_update():
            changed += _import_forget(bulk, person_id=person_id, folded=_folded(name), code=code,
                                      texts=[text for text in (name, code) if text])
    return changed


def _import_forget(bulk: BulkImport, *, person_id: int, folded: str, code: str | None, texts: list[str]) -> bool:
    theirs = any(_names_them(entry, folded, code) for entry in bulk.plan) or any(
        line.get("person_id") == person_id for line in bulk.report)
    report = [{**line, "detail": _redacted(line["detail"], texts)} if line.get("detail") else line
              for line in bulk.report if line.get("person_id") != person_id and not _names_them(line, folded, None)]
    if theirs and (bulk.archive or bulk.plan):
        bulk.report = report
        bulk.save(update_fields=["report"])
        import_end(bulk=bulk, status=BulkImport.FAILED, error=ERASED_TEXT)
        transaction.on_commit(partial(import_push, bulk))
        return True
    if report != bulk.report:
        BulkImport.objects.filter(pk=bulk.pk).update(report=report)
        return True
    return False
