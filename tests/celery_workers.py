"""Real `celery worker --pool prefork` processes on the test database and the session's broker,
started in their own process groups so a test can SIGKILL them."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from faceapp.redis_client import redis_client
from identity.models import Snapshot
from tests.waiting import wait_until

GROUP_FACES = 5  # faces in bbt_group.jpg
# kombu's Redis transport keeps each delivered, not yet acknowledged message here.
UNACKED, QUEUE = "unacked", "celery"




def tasks_done() -> bool:
    """Nothing waits in the default queue and every delivery is acknowledged (acks late: once its task ran)."""
    client = redis_client()
    return client.llen(QUEUE) == 0 and client.hlen(UNACKED) == 0


def worker_env(**overrides: str) -> dict[str, str]:
    """This process's environment (same FACEAPP_DATA_DIR, so the same broker and media; same
    REDIS_URL if set) pointed at the test database."""
    env = dict(os.environ)
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{name}"
    else:
        env["DATABASE_URL"] = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}"))
    env.update(overrides)
    return env


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(30)


@contextlib.contextmanager
def workers(log_dir: Path):
    """start(name, **env) starts a prefork worker of one process in its own process group;
    every group started is SIGKILLed on the way out."""
    started: list[subprocess.Popen] = []

    def start(name: str, **env: str) -> subprocess.Popen:
        command = [
            sys.executable, "-m", "celery", "-A", "faceapp", "worker", "--pool", "prefork", "--concurrency", "1",
            "--loglevel", "INFO", "--hostname", f"{name}@%h", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        with open(log_dir / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=worker_env(**env), stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            kill_group(process)


def pool_children(worker: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    if not children.exists():
        pytest.skip("this kernel does not list a process's children in /proc")
    return [int(pid) for pid in children.read_text().split()]


def processing(snapshot_id: int) -> bool:
    return Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.PROCESSING).exists()


def done_once(snapshot_id: int) -> Snapshot:
    """Wait until the snapshot is DONE and every delivery of its task is acknowledged."""
    snapshot = wait_until(lambda: Snapshot.objects.filter(pk=snapshot_id, status=Snapshot.DONE).first(), "DONE")
    wait_until(tasks_done, "every delivery to be acknowledged")
    return snapshot
