"""`manage.py runstack` (what `make run` calls) on a fresh data folder, as a real process tree:
it starts everything, restarts what dies (the rest untouched), and stops everything."""

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests import faces_data
from tests.streams import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not settings.EMBEDDED_VALKEY, reason="runstack's own Valkey is tested on the embedded default"
)

DEADLINE = 120  # seconds: a deadline for slow machines, not a timing assertion
ADMIN_PASSWORD = "first-admin-pw"
# In a transaction, so that its task is queued only once the photo is a FIFO: the worker that
# opens it waits there (as on a stalled network disk) with the snapshot PROCESSING.
STALLED_SNAPSHOT = """
import os
from pathlib import Path
from django.db import transaction
from identity.services import recognition
with transaction.atomic():
    snapshot = recognition.snapshot_submit(image=("group.jpg", Path(os.environ["PHOTO"]).read_bytes()))
    Path(snapshot.image.path).unlink()
    os.mkfifo(snapshot.image.path)
print("SNAPSHOT", snapshot.pk, snapshot.image.path)
"""


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


class Stack:
    """runstack in its own data folder: its children, an admin's session, its database and log."""

    def __init__(self, tmp_path: Path):
        self.data_dir, self.port, self.log_path = tmp_path / "data", free_port(), tmp_path / "runstack.log"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update(FACEAPP_DATA_DIR=str(self.data_dir), FACEAPP_ADMIN_PASSWORD=ADMIN_PASSWORD)
        self.admin = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "runstack", "--port", str(self.port)],
                cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        wait_until(self._answers, "the server to answer")

    def _answers(self) -> bool:
        assert self.process.poll() is None, self.log()
        try:
            return self.get("/healthz", opener=urllib.request.build_opener())[0] == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, *, opener=None) -> tuple[int, dict]:
        try:
            with (opener or self.admin).open(self.url(path), timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def sign_in_admin(self) -> None:
        page = self.admin.open(self.url("/accounts/login/"), timeout=10).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"username": "admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": csrf})
        request = urllib.request.Request(self.url("/accounts/login/"), data=form.encode(),
                                         headers={"Referer": self.url("/accounts/login/")})  # fmt: skip
        self.admin.open(request, timeout=10).read()

    def healthy(self) -> dict | None:
        """The admin's health report once every part is ok, else None."""
        try:
            status, body = self.get("/healthz")
        except OSError:
            return None
        return body if status == 200 and "workers" in body else None

    def children(self) -> dict[str, int]:
        """runstack's children by role: pid of the worker, live worker, server, valkey..."""
        roles = {"worker@%h": "worker", "live@%h": "live worker", "daphne": "server", "valkey-server": "valkey",
                 "camreaders": "camera readers"}  # fmt: skip
        found = {}
        listing = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in map(int, listing.read_text().split()):
            with contextlib.suppress(OSError):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                found.update({role: pid for marker, role in roles.items() if marker in command})
        return found

    def manage(self, code: str, **env: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.BASE_DIR,
                              env={**self.env, **env}, capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    def snapshot_status(self, snapshot_id: int) -> str:
        with contextlib.closing(sqlite3.connect(self.data_dir / "db.sqlite3", timeout=30)) as db:
            return db.execute("SELECT status FROM identity_snapshot WHERE id = ?", (snapshot_id,)).fetchone()[0]

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def stack(tmp_path):
    running = Stack(tmp_path)
    running.start()
    yield running
    running.stop()


def _stalled_snapshot(stack: Stack, tmp_path: Path) -> tuple[int, Path, bytes]:
    data = faces_data.photo("bbt_group.jpg")
    (tmp_path / "group.jpg").write_bytes(data)
    line = next(line for line in stack.manage(STALLED_SNAPSHOT, PHOTO=str(tmp_path / "group.jpg")).splitlines()
                if line.startswith("SNAPSHOT"))  # fmt: skip
    _, snapshot_id, path = line.split(" ", 2)
    wait_until(lambda: stack.snapshot_status(int(snapshot_id)) == "processing", "the worker to start the task")
    return int(snapshot_id), Path(path), data


def _release(path: Path, data: bytes) -> None:
    spare = path.with_name(path.name + ".part")
    spare.write_bytes(data)
    os.replace(spare, path)  # the worker still waiting on the FIFO keeps waiting on the old one


def test_it_starts_the_stack_answers_healthz_and_stops_everything_on_sigint(stack):
    stack.sign_in_admin()
    body = wait_until(stack.healthy, "every part of the stack to be healthy")
    assert any(name.startswith("worker@") for name in body["workers"]["detail"]), body
    assert (stack.data_dir / "db.sqlite3").exists()
    assert len(_processes_with_env(str(stack.data_dir))) >= 3  # valkey, worker, server

    assert stack.stop() == 0, stack.log()
    assert "Created the admin account" in stack.log()
    assert _processes_with_env(str(stack.data_dir)) == []
    assert not (stack.data_dir / "valkey.sock").exists()


def test_it_restarts_a_sigkilled_worker_and_its_snapshot_is_done_within_a_minute(stack, tmp_path):
    snapshot_id, path, data = _stalled_snapshot(stack, tmp_path)
    before = stack.children()

    os.kill(before["worker"], signal.SIGKILL)  # the worker's main process, mid-task
    _release(path, data)

    wait_until(lambda: stack.snapshot_status(snapshot_id) == "done", "the snapshot to be done", deadline=60)
    assert f"runstack: worker (pid {before['worker']}) was killed by SIGKILL; restarting it in 1 s" in stack.log()
    after = stack.children()
    assert after["worker"] != before["worker"]
    assert {role: after[role] for role in ("server", "valkey", "live worker")} == {
        role: before[role] for role in ("server", "valkey", "live worker")}  # the rest kept running


@pytest.mark.parametrize("role", ["valkey", "server", "live worker", "camera readers"])
def test_it_restarts_a_child_that_dies_keeping_the_rest_running(role, stack):
    stack.sign_in_admin()
    wait_until(stack.healthy, "every part of the stack to be healthy")
    before = stack.children()

    os.kill(before[role], signal.SIGKILL)

    wait_until(lambda: f"runstack: {role} restarted" in stack.log(), f"runstack to restart the {role}")
    wait_until(stack.healthy, "every part of the stack to be healthy again")
    after = stack.children()
    assert after[role] != before[role]
    assert {k: v for k, v in after.items() if k != role} == {k: v for k, v in before.items() if k != role}


def test_it_stops_everything_within_a_deadline_on_sigterm_with_valkey_frozen(stack):
    stack.sign_in_admin()
    wait_until(stack.healthy, "every part of the stack to be healthy")
    os.kill(stack.children()["valkey"], signal.SIGSTOP)  # the others' goodbyes to it get no answer

    stack.process.send_signal(signal.SIGTERM)
    stack.process.wait(timeout=15)  # the deadline: before, each child had 20 s in turn

    assert stack.process.returncode == 0, stack.log()
    assert _processes_with_env(str(stack.data_dir)) == []
