"""What the files under FACEAPP_DATA_DIR/index/ share: their names and the lock that lets one
process at a time build them (the others wait, then map what it built): the enrolled gallery's
(identity.services.gallery) and the logged faces' (identity.services.logged_faces)."""

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

INDEX_FOLDER = "index"  # under settings.DATA_DIR


def index_folder() -> Path:
    return Path(settings.DATA_DIR) / INDEX_FOLDER


def file_stem(name: str) -> str:
    """`name` as one part of a file name: no dot or slash (the version follows the first dot)."""
    return re.sub(r"[^A-Za-z0-9_+-]", "_", name)


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """One process at a time builds the files named like `path` (an exclusive flock on
    `<stem>.lock` beside them, the stem being the name up to its first dot)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f"{path.name.split('.')[0]}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def index_files_remove(pattern: str) -> int:
    """Delete the index files matching `pattern` now (processes that map one keep their mapping)."""
    files = list(index_folder().glob(pattern))
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)
