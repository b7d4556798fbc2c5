"""Helpers of the backup and restore tests: a fresh install in a subprocess (its own data folder, and
SQLite or a PostgreSQL database made for it), archives read and rewritten member by member."""

import contextlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from django.conf import settings

from tests.foreign_servers import postgres_port

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_env(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """An install of its own: its data folder (SQLite and media there), or `database_url`; the
    session's broker, so that the gallery's generation it moves is a real one."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FACEAPP_BACKUP_KEY")}
    env.update(FACEAPP_DATA_DIR=str(data_dir), REDIS_URL=settings.REDIS_URL)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=600)


@contextlib.contextmanager
def postgres_database(name: str):
    """A new, empty PostgreSQL database (dropped afterwards) and its URL; None without a server.
    Its name carries this process's id: CI runs the SQLite and PostgreSQL suites at once."""
    if postgres_port() is None:
        yield None
        return
    import psycopg

    name = f"{name}_{os.getpid()}"

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def rewritten(path: Path, target: Path, changes: dict[str, bytes | None]) -> Path:
    """`path`'s tar written again at `target` with some members' contents changed (None: left out)."""
    with tarfile.open(target, "w") as out:
        for name, data in {**members(path), **changes}.items():
            if data is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
    return target


def rows(path: Path) -> dict[str, list[dict]]:
    """{db member: its rows, parsed} of an unencrypted archive (JSON fields compare by value)."""
    return {name: [json.loads(line) for line in data.decode().splitlines()]
            for name, data in members(path).items() if name.startswith("db/")}


def rows_differing(path: Path, other: Path) -> dict[str, list]:
    """{member: [(row, other's row), ...]} where the two archives' rows differ (a failure names them)."""
    first, second = rows(path), rows(other)
    return {name: [pair for pair in zip(first.get(name, []), second.get(name, [])) if pair[0] != pair[1]]
            or [f"{len(first.get(name, []))} rows against {len(second.get(name, []))}"]
            for name in sorted(set(first) | set(second)) if first.get(name) != second.get(name)}


def media(path: Path) -> dict[str, bytes]:
    return {name: data for name, data in members(path).items() if name.startswith("media/")}


def gallery_fingerprint() -> str:
    """The sha256 of this install's gallery base, built anew from its database: samples, people, rows."""
    import hashlib

    import numpy as np

    from identity.services.gallery import gallery_changed, gallery_current

    gallery_changed()  # a base of every sample (not an older base and a delta)
    base = gallery_current().base
    parts = (np.asarray(base.sample_ids), np.asarray(base.person_ids), np.ascontiguousarray(base.matrix))
    return hashlib.sha256(b"".join(part.tobytes() for part in parts)).hexdigest()
