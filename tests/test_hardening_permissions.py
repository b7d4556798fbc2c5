"""faceapp's data is its user's alone: a real process on a fresh data folder (SQLite database,
secret key, an uploaded photo, the embedded Valkey's files, the logs) leaves files 0600 and
folders 0700, and `make_private` tightens what an older install left readable."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from faceapp.private import make_private

WRITES = """
import django, os
django.setup()
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from faceapp.embedded_valkey import start_valkey
call_command("migrate", verbosity=0)
default_storage.save("samples/1/photo.jpg", ContentFile(b"not really a jpeg"))
valkey = start_valkey(settings.VALKEY_SOCKET, persist=True)
valkey.terminate(); valkey.wait(10)
"""


def _modes(folder: Path) -> dict[str, str]:
    found = {}
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink() or stat.S_ISSOCK(path.lstat().st_mode):
            continue
        found[str(path.relative_to(folder)) or "."] = oct(path.stat().st_mode & 0o777)
    return found


def test_it_creates_every_file_0600_and_every_folder_0700(tmp_path):
    data = tmp_path / "data"
    environment = {**os.environ, "FACEAPP_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "faceapp.settings"}
    environment.pop("DATABASE_URL", None)
    environment.pop("REDIS_URL", None)  # the embedded default, whose files all sit in the data folder
    subprocess.run([sys.executable, "-c", WRITES], cwd=settings.BASE_DIR, env=environment, check=True, timeout=120)

    modes = _modes(data)
    assert {"db.sqlite3", "secret_key", "media/samples/1/photo.jpg", "valkey.log"} <= modes.keys()
    wrong = {path: mode for path, mode in modes.items() if mode != ("0o700" if (data / path).is_dir() else "0o600")}
    assert wrong == {}


def test_it_tightens_what_an_older_install_left_readable(tmp_path):
    (tmp_path / "media" / "logs").mkdir(parents=True)
    (tmp_path / "media" / "logs" / "crop.jpg").write_bytes(b"face")
    (tmp_path / "db.sqlite3").write_bytes(b"embeddings")
    for path in (tmp_path, tmp_path / "media", tmp_path / "media" / "logs"):
        path.chmod(0o755)
    for path in (tmp_path / "media" / "logs" / "crop.jpg", tmp_path / "db.sqlite3"):
        path.chmod(0o644)

    assert make_private(tmp_path) == 5
    assert set(_modes(tmp_path).values()) == {"0o700", "0o600"}
    assert make_private(tmp_path) == 0
