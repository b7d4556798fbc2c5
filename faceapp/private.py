"""Faces, embeddings, API tokens and sessions belong to the service's own user: faceapp's files
are 0600 and its folders 0700. Every process sets the umask when the settings load; `make
private` tightens what an older install left readable (runstack does it at start)."""

import os
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def private_umask() -> None:
    os.umask(0o077)


def make_private(folder: Path) -> int:
    """chmod every file under `folder` to 0600 and every folder to 0700; returns how many changed."""
    changed = 0
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink() or not (path.is_dir() or path.is_file()):
            continue  # sockets keep their own mode (Valkey's is 0700 by its option)
        mode = FOLDER_MODE if path.is_dir() else FILE_MODE
        if path.stat().st_mode & 0o777 != mode:
            path.chmod(mode)
            changed += 1
    return changed
