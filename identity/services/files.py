"""Stored files (photos, crops, snapshots, evidence frames, import ZIPs): the one place that
reads, rewrites and deletes them, through the field's storage, so the same code runs on the
filesystem (MEDIA_ROOT) and on an S3-compatible bucket (faceapp/media_storage.py). A missing
file is no error to delete, so a retried deletion or a file already gone is fine."""

import io
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.fields.files import FieldFile

from faceapp.media_storage import is_object_storage

RANGE_BYTES = 1024 * 1024  # one ranged GET: a ZIP's directory and a photo or two


def file_names(*fields: FieldFile) -> list[str]:
    """The stored names of the file fields that hold a file."""
    return [field.name for field in fields if field and field.name]


def file_bytes(field: FieldFile) -> bytes:
    """A stored file's bytes; FileNotFoundError when it is gone (erased, expired)."""
    if not field or not field.name:
        raise FileNotFoundError("no file")
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


def file_rewrite(field: FieldFile, data: bytes) -> None:
    """Replace a stored file's bytes under the same name (erasure's redaction)."""
    storage = field.storage
    if not is_object_storage(storage):
        _overwrite_in_place(Path(storage.path(field.name)), data)
        return
    with storage.open(field.name, "wb") as handle:  # one PUT of the new object over the old
        handle.write(data)


def _overwrite_in_place(path: Path, data: bytes) -> None:
    # The same file, written over from its first byte: no copy of the old pixels is left beside it.
    old_size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.write(data)
        handle.write(b"\0" * max(0, old_size - len(data)))
        handle.flush()
        handle.truncate(len(data))


def file_reader(field: FieldFile) -> BinaryIO:
    """A seekable reader of a stored file that fetches only what is read: a bucket's object by
    ranged GETs (a worker reads a ZIP's directory and its batch's photos, not the whole archive)."""
    if is_object_storage(field.storage):
        obj = field.storage.bucket.Object(field.storage._normalize_name(field.name))
        return io.BufferedReader(_ObjectRanges(obj), buffer_size=RANGE_BYTES)
    return field.storage.open(field.name, "rb")


class _ObjectRanges(io.RawIOBase):
    def __init__(self, obj):
        self._obj, self._size, self._position = obj, obj.content_length, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        if self._position >= self._size or not len(buffer):
            return 0
        last = min(self._size, self._position + len(buffer)) - 1
        data = self._obj.get(Range=f"bytes={self._position}-{last}")["Body"].read()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def files_delete(names: Iterable[str]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)


def files_delete_on_commit(names: Iterable[str]) -> None:
    """Once the rows naming them are gone for good (a rolled-back deletion keeps its files)."""
    names = list(names)
    transaction.on_commit(lambda: files_delete(names))
