"""bench/load.py's plumbing: the stack it starts, the web client it logs in with, and the
memory sampler that reads the worker's and the server's RSS from /proc."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 180
ENROL_SECONDS = 120
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalStack:
    """`manage.py runstack` on a free port in a temporary data folder (own SQLite and Valkey)."""

    def __init__(self, *, concurrency: int | None, keep: bool):
        self.data_dir = Path(tempfile.mkdtemp(prefix="faceapp-load-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_password = secrets.token_urlsafe(12)
        self.concurrency, self.keep = concurrency, keep
        self.log_path = self.data_dir / "runstack.log"
        self.process: subprocess.Popen | None = None
        # Self-contained: never the caller's database or Redis.
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        self.env.update(FACEAPP_DATA_DIR=str(self.data_dir), FACEAPP_ADMIN_PASSWORD=self.admin_password)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        command = [sys.executable, "manage.py", "runstack", "--port", str(self.port)]
        if self.concurrency:
            command += ["--concurrency", str(self.concurrency)]
        with self.log_path.open("w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"runstack exited with {self.process.returncode}:\n{self.log_path.read_text()[-4000:]}"
                )
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise SystemExit(f"the stack did not get healthy in {STARTUP_SECONDS}s:\n{self.log_path.read_text()[-4000:]}")

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], check=False, cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        if result.returncode:
            raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-4000:]}")
        return result.stdout

    def log_problems(self) -> list[str]:
        """Tracebacks and errors the stack logged (the whole traceback text, once each)."""
        text = self.log_path.read_text(errors="replace")
        problems = [f"stack log: {block.strip()[-3000:]}" for block in re.split(r"\n(?=\S)", text)
                    if "Traceback (most recent call last)" in block]  # fmt: skip
        problems += [f"stack log: {line.strip()}" for line in text.splitlines()
                     if re.search(r"\b(ERROR|CRITICAL)\b", line) and "Traceback" not in line]  # fmt: skip
        return problems

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        else:
            print(f"data folder kept: {self.data_dir}")


def replaced_counts(stack: LocalStack, camera_ids: list[int]) -> int:
    """Sum of camera_replaced_count over the cameras, read by the service itself."""
    code = ("import json; from identity.services.cameras import camera_replaced_count as c; "
            f"print(json.dumps(sum(c(camera_id=i) for i in {camera_ids!r})))")  # fmt: skip
    return int(json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1]))


class WebClient:
    """An admin's browser session: login with the CSRF token, then the forms."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.origin = Origin(f"{parts.scheme}://{parts.netloc}")  # AllowedHostsOriginValidator checks it
        self.ws_base = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}/"
        self.session = requests.Session()

    def ws_url(self, path: str) -> str:
        return self.ws_base + path

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.session.cookies.items())

    def _post_form(self, path: str, data: dict, files=None) -> requests.Response:
        page = self.session.get(self.url + path, timeout=30)
        page.raise_for_status()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        return self.session.post(self.url + path, data={**data, "csrfmiddlewaretoken": token}, files=files,
                                 headers={"Referer": self.url + path}, allow_redirects=False, timeout=60)  # fmt: skip

    def login(self, user: str, password: str) -> None:
        response = self._post_form("/accounts/login/", {"username": user, "password": password})
        if response.status_code != 302 or "sessionid" not in self.session.cookies:
            raise SystemExit(f"login as {user!r} failed ({response.status_code})")

    def cameras_create(self, names: list[str]) -> list[tuple[int, str, str]]:
        """(id, name, token) of each new camera, created on the camera page (tokens: admins only)."""
        for name in names:
            response = self._post_form("/cameras/", {"name": name, "kind": "webcam"})
            if response.status_code != 302:
                raise SystemExit(f"could not create camera {name} ({response.status_code})")
        page = self.session.get(self.url + "/cameras/", timeout=30).text
        found = {}
        for row in page.split("<tr>")[1:]:
            match = re.search(
                r'<td>([^<]+)</td>.*?<code class="token">([^<]+)</code>.*?href="/cameras/(\d+)/"', row, re.DOTALL
            )
            if match:
                found[match.group(1).strip()] = (int(match.group(3)), match.group(1).strip(), match.group(2))
        missing = [name for name in names if name not in found]
        if missing:
            raise SystemExit(f"cameras not listed with a token (is {self.url} logged in as an admin?): {missing}")
        return [found[name] for name in names]

    def people_enrol(self, people: dict[str, list[Path]]) -> int:
        """Enrol each person through the person form; wait for the worker; accepted photos."""
        person_ids = []
        for name, photos in people.items():
            files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in photos]
            response = self._post_form("/people/new/", {"name": name, "code": "", "consent": "on"}, files=files)
            location = response.headers.get("Location", "")
            if response.status_code != 302 or not re.search(r"/people/(\d+)/", location):
                raise SystemExit(f"could not enrol {name} ({response.status_code})")
            person_ids.append(int(re.search(r"/people/(\d+)/", location).group(1)))
        deadline = time.monotonic() + ENROL_SECONDS
        while True:
            samples = [
                s
                for pid in person_ids
                for s in self.session.get(f"{self.url}/api/people/{pid}/", timeout=30).json()["samples"]
            ]
            if all(s["status"] != "pending" for s in samples) or time.monotonic() > deadline:
                return sum(s["status"] == "accepted" for s in samples)
            time.sleep(0.5)


def _processes(root_pid: int | None) -> dict[str, list[int]]:
    """Pids of the worker (celery main + pool) and the server (daphne): the descendants of
    root_pid, or (a server started elsewhere) every such process on this machine."""
    parents, commands = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    if root_pid is not None:
        family, queue = set(), [root_pid]
        while queue:
            pid = queue.pop()
            children = [child for child, parent in parents.items() if parent == pid]
            family.update(children)
            queue += children
    else:
        family = set(commands)
    groups: dict[str, list[int]] = {"worker": [], "server": []}
    for pid in family:
        command = commands.get(pid, "")
        if "celery" in command and "worker" in command:
            groups["worker"].append(pid)
        elif "daphne" in command:
            groups["server"].append(pid)
    return groups


def _rss_mib(pids: list[int]) -> float | None:
    total, seen = 0, False
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
            seen = True
        except (OSError, IndexError, ValueError):
            continue
    return round(total / 2**20, 1) if seen else None


class MemorySampler:
    """RSS of the worker processes (summed) and of the server, once a second, in a thread."""

    def __init__(self, root_pid: int | None):
        self.root_pid = root_pid
        self.samples: list[tuple[float, float | None, float | None]] = []
        self.marks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    def _loop(self) -> None:
        while not self._stop.is_set():
            groups = _processes(self.root_pid)  # pool children may be replaced: look every time
            self.samples.append((time.monotonic(), _rss_mib(groups["worker"]), _rss_mib(groups["server"])))
            self._stop.wait(1.0)

    def report(self, *, flat_pct: float, warm_after: float) -> dict:
        start, end = self.marks.get("load_start"), self.marks.get("drained")
        reports = {}
        for index, name in ((1, "worker"), (2, "server")):
            series = [(t, s[index]) for s in self.samples if start <= (t := s[0]) <= end and s[index] is not None]
            if not series:
                reports[name] = None
                continue
            warm = next((v for t, v in series if t >= start + warm_after), series[-1][1])
            growth = (series[-1][1] - warm) / warm * 100
            reports[name] = {"start": series[0][1], "warm": warm, "end": series[-1][1],
                             "max": max(v for _, v in series), "growth_pct": round(growth, 1),
                             "flat": growth <= flat_pct, "samples": len(series)}  # fmt: skip
        return reports
