"""The media through Django's default storage, so the same code copies a folder or a bucket."""

from collections.abc import Iterator

from django.core.files.storage import default_storage


def media_names(folder: str = "") -> Iterator[str]:
    """Every file's name in the storage, folders first walked in name order."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # a filesystem storage whose folder was never made: no media
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for name in sorted(folders):
        yield from media_names(f"{folder}/{name}" if folder else name)


def media_wipe() -> int:
    """Delete every file of the storage (a forced restore replaces the install's media); how many."""
    names = list(media_names())
    for name in names:
        default_storage.delete(name)
    return len(names)


def media_put(name: str, stream) -> None:
    """Store `stream` under exactly `name` (an empty install has nothing there)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, stream)
    if saved != name:
        raise OSError(f"the storage saved {name} as {saved}")
