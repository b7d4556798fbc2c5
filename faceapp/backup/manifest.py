"""The manifest: what made the archive (versions, migrations, the embedding model), what it holds
(rows a model, media), and the checks a restore makes of it before it writes anything."""

import platform
import subprocess

import django
from django.conf import settings

from faceapp.backup.archive import ArchiveRefused
from faceapp.backup.database import migrations_of_the_code

FORMAT = 1


def app_version() -> str:
    """`git describe` of the checkout when there is one, else "unknown"."""
    try:
        done = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=settings.BASE_DIR,
                              capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def versions() -> dict:
    return {"faceapp": app_version(), "django": django.get_version(), "python": platform.python_version()}


def manifest_check(manifest: dict, *, embedder_model_id: str) -> set[tuple[str, str]]:
    """The archive's migrations, or ArchiveRefused when this install cannot take the archive."""
    try:
        return _check(manifest, embedder_model_id=embedder_model_id)
    except (KeyError, TypeError, AttributeError) as error:
        raise ArchiveRefused(f"the archive's manifest.json is not a faceapp manifest (at {error})") from None


def _check(manifest: dict, *, embedder_model_id: str) -> set[tuple[str, str]]:
    if manifest.get("format") != FORMAT:
        raise ArchiveRefused(f"the archive's format is {manifest.get('format')!r}; this faceapp reads format {FORMAT}")
    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    newer = sorted(archived - migrations_of_the_code())
    if newer:
        raise ArchiveRefused(
            f"the backup was made by a newer faceapp ({manifest['versions']['faceapp']}): it has migrations this one "
            f"lacks ({', '.join(f'{app}.{name}' for app, name in newer[:5])}); restore it with that version or a later one"
        )
    unlisted = [entry["model"] for entry in manifest["models"] if entry["member"] not in manifest["members"]]
    if unlisted:
        raise ArchiveRefused(f"the archive's manifest names rows it has no checksum of: {', '.join(unlisted[:5])}")
    theirs = set(manifest["model_ids"]["samples"])
    if theirs and embedder_model_id not in theirs:
        raise ArchiveRefused(
            f"the backup's faces were embedded with {', '.join(sorted(theirs))}, and this install embeds with "
            f"{embedder_model_id} (FACEAPP_EMBEDDER, FACEAPP_FLIP): set the same model to restore it"
        )
    return archived


def older_refusal(manifest: dict, archived: set[tuple[str, str]]) -> str:
    missing = sorted(migrations_of_the_code() - archived)
    return (f"the backup was made by an older faceapp ({manifest['versions']['faceapp']}), before migrations "
            f"{', '.join(f'{app}.{name}' for app, name in missing[:5])}: restore it into a new database (no tables), "
            "where it is loaded at its own migrations and then upgraded")
