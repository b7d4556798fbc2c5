"""The two writes: backup_write (an archive of the install) and backup_restore (an install from one)."""

import datetime as dt
import tempfile
import time
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command

from faceapp.backup import database, media
from faceapp.backup.archive import ArchiveRefused, archive_unpack, archive_writing
from faceapp.backup.manifest import FORMAT, manifest_check, older_refusal, versions

INDEX_NOTE = "not in the archive: each machine rebuilds its gallery files from the restored embeddings"


def _model_ids(using: str) -> list[str]:
    from identity.models import FaceSample

    return sorted(set(FaceSample.objects.using(using).filter(status=FaceSample.ACCEPTED)
                      .values_list("model_id", flat=True).distinct()))


def backup_write(path: Path, *, key: str = "") -> dict:
    """Write the archive at `path` (0600; sealed with `key` when given) and return its manifest.
    Rows come from one moment; media is copied after them, so a file deleted in between is
    listed as gone, and a file added in between is carried with no row pointing at it."""
    started = time.monotonic()
    models, gone, media_bytes = [], [], 0
    with archive_writing(path, key=key) as archive, tempfile.TemporaryDirectory(prefix="faceapp-backup-") as folder:
        with database.consistent_source() as using:
            migrations = database.migrations_applied(using=using)
            model_ids = _model_ids(using)
            for model in database.backup_models():
                rows_file = Path(folder) / "rows.jsonl"
                rows = database.rows_dump(model, using=using, path=rows_file)
                member = database.member_name(model)
                with rows_file.open("rb") as stream:
                    archive.add(member, stream, rows_file.stat().st_size)
                models.append({"model": model._meta.label_lower, "rows": rows, "member": member})
        names = list(media.media_names())
        for name in names:
            try:
                size = default_storage.size(name)
                with default_storage.open(name, "rb") as stream:
                    archive.add(f"media/{name}", stream, size)
                media_bytes += size
            except FileNotFoundError:
                gone.append(name)
        from identity.face_engine import get_face_engine

        manifest = {
            "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "versions": versions(), "database": database.connections["default"].vendor,
            "migrations": migrations, "models": models,
            "model_ids": {"samples": model_ids, "embedder": get_face_engine().model_id},
            "media": {"files": len(names) - len(gone), "bytes": media_bytes, "gone": gone},
            "index": INDEX_NOTE, "encrypted": bool(key), "members": dict(archive.checksums),
        }
        archive.add_manifest(manifest)
    manifest["seconds"] = round(time.monotonic() - started, 2)
    return manifest


def backup_restore(path: Path, *, key: str = "", force: bool = False) -> dict:
    """Restore the archive at `path` into this install (migrated first; an older faceapp's archive
    only into a new database, migrated to its state, loaded, then upgraded): ArchiveRefused, with the
    reason, for a damaged, altered or mismatched archive, or an install that holds data unless
    `force` (then its rows and media are replaced). The gallery files are rebuilt, not restored."""
    from identity.face_engine import get_face_engine
    from identity.services.gallery import gallery_changed, gallery_files_remove
    from identity.services.recognizer import strangers_changed

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faceapp-restore-") as folder:
        unpacked = Path(folder)
        manifest = archive_unpack(path, unpacked, key=key)
        archived = manifest_check(manifest, embedder_model_id=get_face_engine().model_id)
        older = archived != database.migrations_of_the_code()
        if older and not database.database_is_new():
            raise ArchiveRefused(older_refusal(manifest, archived))
        if not older:
            call_command("migrate", interactive=False, verbosity=0)
        held = {} if older else database.rows_outside_seed()
        stored = next(media.media_names(), None)
        if (held or stored) and not force:
            what = ", ".join(f"{count} {label}" for label, count in sorted(held.items())[:5]) or f"media ({stored})"
            raise ArchiveRefused(f"this install is not empty ({what}): restore into a fresh one, or pass --force to replace it")
        state = database.migrate_to(archived) if older else None
        database.rows_replace(
            [(entry["model"], unpacked / entry["member"], entry["rows"]) for entry in manifest["models"]], models=state)
        if older:  # then upgraded as any install is: the data migrations run on the restored rows
            call_command("migrate", interactive=False, verbosity=0)
        if force:  # after the rows, whose load may still fail (and roll back) on a bad archive
            media.media_wipe()
        media_root = unpacked / "media"
        files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.is_dir() else []
        for file in files:
            with file.open("rb") as stream:
                media.media_put(file.relative_to(media_root).as_posix(), File(stream))
    gallery_files_remove()  # this machine's gallery files describe the old install
    gallery_changed()
    strangers_changed()
    return {"manifest": manifest, "files": len(files), "seconds": round(time.monotonic() - started, 2)}
