"""Run the whole stack in the foreground: embedded Valkey (when REDIS_URL is unset),
a Celery worker, a live worker for the cameras, the camera readers, the MQTT bridge (when
FACEAPP_MQTT_URL is set) and the Daphne ASGI server. Ctrl-C (or SIGTERM) stops all of them.

It heals itself: a child that exits (killed, crashed) is started again, alone, after a backoff
that doubles from 1 s to 30 s while it keeps dying (back to 1 s once it has run a minute),
each time with a log line; the others keep running. Stopping sends SIGTERM to every child at
once and SIGKILL to what is left after STOP_GRACE_SECONDS (a second Ctrl-C: at once).
"""

import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from faceapp.embedded_valkey import start_valkey, valkey_answers
from faceapp.private import make_private
from identity.services.stack_roles import (
    daphne_command,
    database_ready,
    listen_address,
    live_worker_command,
    manage_command,
    worker_command,
)

PR_SET_PDEATHSIG = 1
BACKOFF_FIRST_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a child that ran this long before it died is restarted after the first backoff
STOP_GRACE_SECONDS = 5.0  # Celery's warm shutdown finishes a photo in that time; a stalled task is killed
TICK_SECONDS = 0.2


def _die_with_parent():
    # If runstack itself is killed, the kernel stops its children too: nothing is left behind.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One supervised process: how to start it, and its restarts."""

    name: str
    start: Callable[[], subprocess.Popen]
    process: subprocess.Popen | None = None  # None while it waits out its backoff
    started_at: float = 0.0
    failures: int = 0  # deaths in a row, each after less than STABLE_SECONDS
    restart_at: float = 0.0


def _exit_text(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def _kill_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)  # its own session: the worker's pool children too
    except (ProcessLookupError, PermissionError):
        pass


def _has_exited(process: subprocess.Popen) -> bool:
    """Whether it exited, leaving it unreaped: until _reap, its pid (its group's id) is not reused."""
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _reap(process: subprocess.Popen) -> int:
    _kill_group(process, signal.SIGKILL)  # what it left behind (the worker's pool children) goes with it
    return process.wait()


class Command(BaseCommand):
    help = "Migrate, ensure an admin account, then run and supervise Valkey, the workers, the readers and Daphne."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=listen_address()["host"])
        parser.add_argument("--port", type=int, default=listen_address()["port"])
        parser.add_argument("--concurrency", type=int, default=settings.CELERY_WORKER_CONCURRENCY)
        parser.add_argument("--no-worker", action="store_true", help="run no Celery worker here")

    def handle(self, *args, **options):
        self.children: list[Child] = []
        self.stopping = False
        self.hurry = False  # a second Ctrl-C: kill, do not wait
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            self._start(options)
            self._supervise()
        finally:
            self._stop_all()

    def _start(self, options):
        tightened = make_private(settings.DATA_DIR)  # an older install left its files readable
        if tightened:
            self.stdout.write(f"Made {tightened} file(s) and folder(s) in {settings.DATA_DIR} private (0600/0700).")
        if settings.EMBEDDED_VALKEY:
            if valkey_answers(settings.VALKEY_SOCKET):
                raise CommandError(f"a Valkey already answers on {settings.VALKEY_SOCKET}: is faceapp running?")
            self._spawn_valkey()
        database_ready(write=lambda line: self.stdout.write(self.style.WARNING(line)))
        if not options["no_worker"]:
            self._spawn("worker", worker_command(concurrency=options["concurrency"], beat=True))
            # Live cameras: one process per shard, each looping over its cameras' frames.
            self._spawn("live worker", live_worker_command())
            self._spawn("camera readers", manage_command("camreaders"))
        if settings.FACEAPP_MQTT_URL:
            # Events to MQTT and Home Assistant; it waits out a broker that is away, never exits for it.
            self._spawn("mqtt bridge", manage_command("mqttbridge"))
        self._spawn("server", daphne_command(host=options["host"], port=options["port"]))
        self.stdout.write(self.style.SUCCESS(
            f"faceapp is running at http://{options['host']}:{options['port']}/ — Ctrl-C stops it."
        ))  # fmt: skip

    def _spawn_valkey(self):
        # Restarted on the same socket, empty (no persistence: faceapp/embedded_valkey.py).
        self._supervised("valkey", lambda: start_valkey(
            settings.VALKEY_SOCKET, start_new_session=True, preexec_fn=_die_with_parent))

    def _spawn(self, name: str, command: list[str]):
        self._supervised(name, lambda: subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent))

    def _supervised(self, name: str, start: Callable[[], subprocess.Popen]) -> None:
        child = Child(name=name, start=start, started_at=time.monotonic())
        self.children.append(child)
        child.process = start()

    def _supervise(self):
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.process is None:
                    if now >= child.restart_at:
                        self._restart(child)
                elif _has_exited(child.process):
                    pid, returncode = child.process.pid, _reap(child.process)
                    child.process = None
                    self._schedule_restart(child, why=f"(pid {pid}) {_exit_text(returncode)}")
            time.sleep(TICK_SECONDS)

    def _schedule_restart(self, child: Child, *, why: str) -> None:
        if time.monotonic() - child.started_at >= STABLE_SECONDS:
            child.failures = 0  # it had been running well: this death is a first one
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2**child.failures)
        child.failures += 1
        child.restart_at = time.monotonic() + delay
        self.stderr.write(f"runstack: {child.name} {why}; restarting it in {delay:.0f} s "
                          f"(restart {child.failures} in a row)")  # fmt: skip

    def _restart(self, child: Child) -> None:
        child.started_at = time.monotonic()
        try:
            child.process = child.start()
        except (OSError, RuntimeError) as exc:  # Valkey that did not come up, a missing binary
            return self._schedule_restart(child, why=f"did not start ({exc})")
        self.stderr.write(f"runstack: {child.name} restarted (pid {child.process.pid})")

    def _on_signal(self, signum, frame):
        self.hurry = self.stopping
        self.stopping = True

    def _stop_all(self):
        # Everything but Valkey at once (each finishes or hands back its work), then Valkey,
        # which the others' last writes need.
        running = [c for c in self.children if c.process is not None]
        self._stop([c for c in running if c.name != "valkey"])
        self._stop([c for c in running if c.name == "valkey"])
        self.children = []

    def _stop(self, children: list[Child]) -> None:
        for child in children:
            _kill_group(child.process, signal.SIGTERM)
            _kill_group(child.process, signal.SIGCONT)  # a frozen one acts on it too
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while not self.hurry and time.monotonic() < deadline and not all(_has_exited(c.process) for c in children):
            time.sleep(TICK_SECONDS / 2)
        for child in children:
            if not self.hurry and not _has_exited(child.process):
                self.stderr.write(f"runstack: {child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s: killing it")
            _reap(child.process)
