"""Run the whole stack in the foreground: embedded Valkey (when REDIS_URL is unset),
a Celery worker, a live worker for the cameras, the camera readers, the MQTT bridge (when
FACEAPP_MQTT_URL is set) and the Daphne ASGI server. Ctrl-C (or SIGTERM) stops all of them."""

import ctypes
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from faceapp.embedded_valkey import start_valkey, valkey_answers
from identity.services.accounts import admin_account_ensure

PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # If runstack itself is killed, the kernel stops its children too: nothing is left behind.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def daphne_command(*, host: str, port: int) -> list[str]:
    """How the stack starts Daphne (the tests start it the same way)."""
    # A camera frame over the upload cap is answered "frame too large" by its consumer; only
    # far larger messages are cut off here, before Daphne buffers them.
    ws_limit = str(settings.FACEAPP_WS_MAX_MESSAGE_BYTES)
    # Behind the TLS proxy, the client's address (login throttling counts per address) is the
    # one the proxy forwards, as its X-Forwarded-Proto is already trusted for the scheme.
    proxy = ["--proxy-headers"] if settings.FACEAPP_HTTPS else []
    return [sys.executable, "-m", "daphne", "-b", host, "-p", str(port), *proxy,
            "--websocket-max-message-size", ws_limit, "--websocket-max-frame-size", ws_limit,
            "faceapp.asgi:application"]  # fmt: skip


class Command(BaseCommand):
    help = "Migrate, ensure an admin account, then run Valkey, a Celery worker and Daphne."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("FACEAPP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("FACEAPP_PORT", "8000")))
        parser.add_argument("--concurrency", type=int, default=settings.CELERY_WORKER_CONCURRENCY)
        parser.add_argument("--no-worker", action="store_true", help="run no Celery worker here")

    def handle(self, *args, **options):
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            self._start(options)
            self._supervise()
        finally:
            self._stop_all()

    def _start(self, options):
        if settings.EMBEDDED_VALKEY:
            if valkey_answers(settings.VALKEY_SOCKET):
                raise CommandError(f"a Valkey already answers on {settings.VALKEY_SOCKET}: is faceapp running?")
            self._spawn_valkey()
        call_command("migrate", interactive=False, verbosity=0)
        password = admin_account_ensure(password=os.environ.get("FACEAPP_ADMIN_PASSWORD", ""))
        if password:
            shown = "(from FACEAPP_ADMIN_PASSWORD)" if os.environ.get("FACEAPP_ADMIN_PASSWORD") else password
            self.stdout.write(self.style.WARNING(f"Created the admin account: user 'admin', password {shown}"))
        python = sys.executable
        if not options["no_worker"]:
            beat_file = str(settings.DATA_DIR / "celerybeat-schedule")
            self._spawn("worker", [python, "-m", "celery", "-A", "faceapp", "worker", "--beat",
                                   "--schedule", beat_file, "--loglevel", "INFO", "--queues", "celery",
                                   "--concurrency", str(options["concurrency"]),
                                   "--hostname", "worker@%h"])  # fmt: skip
            # Live cameras: one process per shard, each looping over its cameras' frames.
            self._spawn("live worker", [python, "-m", "celery", "-A", "faceapp", "worker", "--loglevel", "INFO",
                                        "--queues", "live", "--concurrency", str(settings.FACEAPP_LIVE_SHARDS),
                                        "--hostname", "live@%h"])  # fmt: skip
            self._spawn("camera readers", [python, str(settings.BASE_DIR / "manage.py"), "camreaders"])
        if settings.FACEAPP_MQTT_URL:
            # Events to MQTT and Home Assistant; it waits out a broker that is away, never exits for it.
            self._spawn("mqtt bridge", [python, str(settings.BASE_DIR / "manage.py"), "mqttbridge"])
        self._spawn("server", daphne_command(host=options["host"], port=options["port"]))
        self.stdout.write(self.style.SUCCESS(
            f"faceapp is running at http://{options['host']}:{options['port']}/ — Ctrl-C stops it."
        ))  # fmt: skip

    def _spawn_valkey(self):
        process = start_valkey(settings.VALKEY_SOCKET, start_new_session=True, preexec_fn=_die_with_parent)
        self.children.append(("valkey", process))

    def _spawn(self, name: str, command: list[str]):
        process = subprocess.Popen(command, start_new_session=True, preexec_fn=_die_with_parent)
        self.children.append((name, process))

    def _supervise(self):
        while not self.stopping:
            for name, process in self.children:
                if process.poll() is not None:
                    raise CommandError(f"{name} exited with status {process.returncode}; stopping the stack")
            time.sleep(0.5)

    def _on_signal(self, signum, frame):
        self.stopping = True

    def _stop_all(self):
        # Server first (no new work), then the worker (finishes its task), then Valkey.
        for name, process in reversed(self.children):
            self._stop(name, process)
        self.children = []

    def _stop(self, name: str, process: subprocess.Popen, timeout: float = 20.0):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in {timeout:.0f}s: killing it")
            except ProcessLookupError:
                pass
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the worker's pool children, if any linger
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
