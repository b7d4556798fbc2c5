"""Deleting stored files (photos, crops, snapshots, evidence frames): one rule for every
service. A missing file is no error, so a retried deletion or a file already gone is fine."""

from collections.abc import Iterable

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile


def file_names(*fields: FieldFile) -> list[str]:
    """The stored names of the file fields that hold a file."""
    return [field.name for field in fields if field and field.name]


def files_delete(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def files_delete_on_commit(names: Iterable[str]) -> None:
    """Once the rows naming them are gone for good (a rolled-back deletion keeps its files)."""
    names = list(names)
    transaction.on_commit(lambda: files_delete(names))
