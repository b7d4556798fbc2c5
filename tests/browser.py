"""Shared helpers for the browser tests: a real Daphne server (a subprocess) on the test
database, and headless Chromium driven by Playwright's sync API."""

import contextlib
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tests.streams import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
SERVER_START_SECONDS = 60


# A page's init script that records what the Content-Security-Policy blocks (init scripts are not
# subject to it): read window.cspViolations.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline")));
"""


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install chromium")


def subprocess_database_url() -> str:
    """A DATABASE_URL naming the database this test process uses (the test database)."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "") + (":" + quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    host = f"{credentials}@" if credentials else ""
    return f"postgres://{host}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"daphne exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"daphne answered {error.code} to {url}:\n{log_path.read_text()}") from error
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer {url} in {SERVER_START_SECONDS}s:\n{log_path.read_text()}")


@contextlib.contextmanager
def daphne_server(log_dir: Path, **env: str) -> Iterator[tuple[int, subprocess.Popen]]:
    """Daphne with `manage.py runstack`'s command line on a free port of 127.0.0.1, on this
    process's test database, data folder and Redis (`env` added); yields (port, process)."""
    from identity.services.stack_roles import daphne_command

    port = free_port()
    environment = {**os.environ, "DATABASE_URL": subprocess_database_url(), "ALLOWED_HOSTS": "127.0.0.1,localhost",
                   "DJANGO_SETTINGS_MODULE": "faceapp.settings", "FACEAPP_DATA_DIR": str(settings.DATA_DIR), **env}  # fmt: skip
    log_path = log_dir / f"daphne-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(daphne_command(host="127.0.0.1", port=port), cwd=settings.BASE_DIR,
                                   env=environment, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/accounts/login/", process, log_path)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def live_server(log_dir: Path) -> Iterator[str]:
    """Run faceapp under Daphne (daphne_server); yields its base URL."""
    with daphne_server(log_dir) as (port, _):
        yield f"http://127.0.0.1:{port}"


def launch_chromium(playwright, extra_args: list[str] | None = None):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + (extra_args or [])
    )


def no_sideways_scroll(page, width: int) -> None:
    """Nothing on the page is wider than the window (tables scroll inside their card)."""
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"the page is {scroll_width}px wide at {width}px"


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def mark_page(page, name: str) -> None:
    """Set a marker on the page's window: it survives only if the page is never reloaded."""
    page.evaluate(f"window.{name} = true")


def page_kept(page, name: str) -> bool:
    return page.evaluate(f"window.{name} === true")


def fake_camera_file(photo: Path, destination: Path) -> Path:
    """A one-frame Y4M video of `photo`, for Chromium's fake webcam (it loops the file)."""
    import cv2

    image = cv2.imread(str(photo))
    height, width = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    planes = cv2.cvtColor(image[:height, :width], cv2.COLOR_BGR2YUV_I420)
    header = f"YUV4MPEG2 W{width} H{height} F5:1 Ip A1:1 C420jpeg\n".encode()
    destination.write_bytes(header + b"FRAME\n" + planes.tobytes())
    return destination


def fake_camera_args(video: Path) -> list[str]:
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]




def change_password(page, base_url: str, old: str, new: str) -> None:
    """Choose a new password on the password change page (where a forced change lands too)."""
    if not page.url.endswith("/accounts/password_change/"):
        page.goto(f"{base_url}/accounts/password_change/")
    page.fill("input[name=old_password]", old)
    page.fill("input[name=new_password1]", new)
    page.fill("input[name=new_password2]", new)
    with page.expect_navigation():
        page.click("#password-change button[type=submit]")
