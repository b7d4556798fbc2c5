"""The archive file: a tar of members (rows, media, then manifest.json), written 0600 through a
`.part` file renamed at the end, optionally sealed (sealed_stream.py). Reading checks every member
against the manifest's sha256 before anything is restored."""

import contextlib
import hashlib
import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from faceapp.backup.sealed_stream import OpeningReader, SealedArchiveError, SealingWriter, is_sealed

MANIFEST = "manifest.json"
FILE_MODE = 0o600


class ArchiveRefused(Exception):
    """The archive cannot be restored; the message says why."""


class _Hashing:
    """A read-only file object that hashes what passes through it."""

    def __init__(self, raw):
        self.raw, self.sha = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


class ArchiveWriter:
    def __init__(self, tar: tarfile.TarFile):
        self._tar, self.checksums = tar, {}

    def add(self, name: str, stream, size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = size, FILE_MODE
        hashing = _Hashing(stream)
        self._tar.addfile(info, hashing)
        self.checksums[name] = hashing.sha.hexdigest()

    def add_manifest(self, manifest: dict) -> None:
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        self.add(MANIFEST, io.BytesIO(data), len(data))


@contextlib.contextmanager
def archive_writing(path: Path, *, key: str) -> Iterator[ArchiveWriter]:
    """An ArchiveWriter whose tar lands at `path` (0600, never overwriting) once the block ends."""
    if path.exists():
        raise FileExistsError(f"{path} exists: choose another name")
    partial = path.with_name(path.name + ".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(descriptor, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            sink = SealingWriter(raw, key) if key else raw
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                yield ArchiveWriter(tar)
            if key:
                sink.close()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _safe(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not (name == MANIFEST or path.parts[0] in ("db", "media")):
        raise ArchiveRefused(f"the archive holds {name!r}, which no faceapp backup writes: it was altered")
    return path


def archive_unpack(path: Path, folder: Path, *, key: str) -> dict:
    """Unpack into `folder` (the caller's private folder) and return the manifest, once every member
    matches its checksum and none is missing or extra; ArchiveRefused saying what is wrong."""
    checksums: dict[str, str] = {}
    with path.open("rb") as raw:
        sealed = is_sealed(raw.read(64))
        raw.seek(0)
        if sealed and not key:
            raise ArchiveRefused("this backup is encrypted: set FACEAPP_BACKUP_KEY to the key it was made with")
        try:
            source = OpeningReader(raw, key) if sealed else raw
            with tarfile.open(fileobj=source, mode="r|") as tar:
                for member in tar:
                    name = _safe(member.name)
                    if not member.isfile():
                        raise ArchiveRefused(f"the archive's {member.name!r} is not a file: it was altered")
                    target = folder.joinpath(*name.parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    hashing = _Hashing(tar.extractfile(member))
                    with target.open("wb") as out:
                        while chunk := hashing.read(1 << 20):
                            out.write(chunk)
                    checksums[member.name] = hashing.sha.hexdigest()
        except SealedArchiveError as error:
            raise ArchiveRefused(str(error)) from None
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ArchiveRefused(f"not a readable faceapp backup ({error})") from None
    if MANIFEST not in checksums:
        raise ArchiveRefused("the archive has no manifest.json: not a faceapp backup, or cut short")
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        expected = manifest["members"]
    except (ValueError, KeyError, TypeError):
        raise ArchiveRefused("the archive's manifest.json is not a faceapp manifest") from None
    checksums.pop(MANIFEST)
    wrong = sorted(name for name in expected if checksums.get(name) != expected[name])
    extra = sorted(set(checksums) - set(expected))
    if wrong or extra:
        raise ArchiveRefused(
            "the archive does not match its manifest (damaged or altered): "
            + ", ".join([f"{name} differs or is missing" for name in wrong[:5]] + [f"{name} is extra" for name in extra[:5]])
        )
    return manifest
