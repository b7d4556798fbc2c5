"""How each part of the stack starts: the command line of every role, and the database's first
run. `manage.py runstack` supervises them on one machine; the image's entrypoint
(docker/entrypoint.py) runs one role a container."""

import os
import sys
from collections.abc import Callable

from django.conf import settings
from django.core.management import call_command


def listen_address() -> dict:
    """Where the web server listens: FACEAPP_HOST and FACEAPP_PORT (the image sets 0.0.0.0)."""
    return {"host": os.environ.get("FACEAPP_HOST", "127.0.0.1"), "port": int(os.environ.get("FACEAPP_PORT", "8000"))}


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


def database_ready(*, write: Callable[[str], None]) -> None:
    """Migrate, then create the first admin account; its password is written once, when made."""
    # Imported here: the entrypoint reads ROLE_COMMANDS before Django is set up, models after.
    from identity.services.accounts import admin_account_ensure

    call_command("migrate", interactive=False, verbosity=0)
    password = admin_account_ensure(password=os.environ.get("FACEAPP_ADMIN_PASSWORD", ""))
    if password:
        shown = "(from FACEAPP_ADMIN_PASSWORD)" if os.environ.get("FACEAPP_ADMIN_PASSWORD") else password
        write(f"Created the admin account: user 'admin', password {shown}")


def worker_command(*, concurrency: int, beat: bool) -> list[str]:
    """The Celery worker of the default queue; with beat, also the one scheduler of the install."""
    schedule = ["--beat", "--schedule", beat_schedule_file()] if beat else []
    return [sys.executable, "-m", "celery", "-A", "faceapp", "worker", *schedule, "--loglevel", "INFO",
            "--queues", "celery", "--concurrency", str(concurrency), "--hostname", "worker@%h"]  # fmt: skip


def live_worker_command() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "faceapp", "worker", "--loglevel", "INFO", "--queues", "live",
            "--concurrency", str(settings.FACEAPP_LIVE_SHARDS), "--hostname", "live@%h"]  # fmt: skip


def beat_command() -> list[str]:
    """The scheduler alone, where the workers run without --beat (one per install)."""
    return [sys.executable, "-m", "celery", "-A", "faceapp", "beat", "--loglevel", "INFO",
            "--schedule", beat_schedule_file()]  # fmt: skip


def beat_schedule_file() -> str:
    return str(settings.DATA_DIR / "celerybeat-schedule")


def manage_command(name: str, *args: str) -> list[str]:
    return [sys.executable, str(settings.BASE_DIR / "manage.py"), name, *args]


# The image's roles (docker/entrypoint.py), one part of the stack a container; "migrate" is
# database_ready, run once before them.
ROLE_COMMANDS: dict[str, Callable[[], list[str]]] = {
    "web": lambda: daphne_command(**listen_address()),
    "worker": lambda: worker_command(concurrency=settings.CELERY_WORKER_CONCURRENCY, beat=False),
    "live": live_worker_command,
    "readers": lambda: manage_command("camreaders"),
    "beat": beat_command,
    "mqttbridge": lambda: manage_command("mqttbridge"),
    "all-in-one": lambda: manage_command("runstack"),
}
