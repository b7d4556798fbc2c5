"""`manage.py runstack` (what `make run` calls) on a fresh data folder, as a real process tree."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    not settings.EMBEDDED_VALKEY, reason="runstack's own Valkey is tested on the embedded default"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes_with_env(marker: str) -> list[int]:
    """Pids of live processes whose environment holds `marker` (our data folder)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _get_health(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_it_starts_the_stack_answers_healthz_and_stops_everything_on_sigint(tmp_path):
    data_dir = tmp_path / "data"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(FACEAPP_DATA_DIR=str(data_dir), FACEAPP_ADMIN_PASSWORD="first-admin-pw")
    log_path = tmp_path / "runstack.log"
    log = log_path.open("w")
    stack = subprocess.Popen(
        [sys.executable, "manage.py", "runstack", "--port", str(port)],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        status, body = 0, {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(0.5)
            assert stack.poll() is None, log_path.read_text()
            try:
                status, body = _get_health(port)
            except (urllib.error.URLError, ConnectionError):
                continue
            if status == 200:
                break
        assert status == 200, body
        assert body["workers"]["detail"], body
        assert (data_dir / "db.sqlite3").exists()
        assert len(_processes_with_env(str(data_dir))) >= 3  # valkey, worker, server
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
        log.close()
    output = log_path.read_text()
    assert "Created the admin account" in output
    assert stack.returncode == 0, output
    assert _processes_with_env(str(data_dir)) == []
    assert not (data_dir / "valkey.sock").exists()
