"""bench/load.py's plumbing: the stack it starts (and what it reads back from it through
`manage.py shell -c`: stored rows and bytes, Redis frame counts, the engine's configuration),
the web client it logs in with, and the memory sampler that reads the RSS of the stack's
processes (both Celery workers, the camera readers, the server, Valkey) from /proc."""

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
        self.metrics_token = secrets.token_urlsafe(24)  # GET /metrics: scraped before and after the load
        self.env.update(FACEAPP_DATA_DIR=str(self.data_dir), FACEAPP_ADMIN_PASSWORD=self.admin_password,
                        FACEAPP_METRICS_TOKEN=self.metrics_token)

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


STORAGE_CODE = """
import datetime as dt, json, os
from django.conf import settings
from django.db import connection
from attendance.models import AttendanceRecord
from identity.models import MatchLog, ProvisionalIdentity, Snapshot
ids, since = {ids!r}, dt.datetime.fromtimestamp({since!r}, tz=dt.UTC)
logs = MatchLog.objects.filter(snapshot__camera_id__in=ids, created_at__gte=since).select_related("snapshot")
snapshots = Snapshot.objects.filter(camera_id__in=ids, received_at__gte=since)
def size(field):
    return field.storage.size(field.name) if field and field.name and field.storage.exists(field.name) else 0
def folder(name):
    root = settings.MEDIA_ROOT / name
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) if root.exists() else 0
tables = {{}}
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        cursor.execute("SELECT m.tbl_name, SUM(s.pgsize - s.unused) FROM dbstat s "
                       "JOIN sqlite_master m ON m.name = s.name GROUP BY m.tbl_name")
        tables = dict(cursor.fetchall())
rows = {{"matchlog": MatchLog.objects.count(), "snapshot": Snapshot.objects.count()}}
print(json.dumps({{
    "visits": logs.count(), "snapshots": snapshots.count(),
    "visits_known": logs.filter(decision=MatchLog.KNOWN).count(),
    "visit_frames": sum(logs.values_list("frame_count", flat=True)),
    "crop_bytes": sum(size(log.crop) for log in logs), "snapshot_bytes": sum(size(s.image) for s in snapshots),
    "media_logs_folder_bytes": folder("crops/logs"), "media_snapshots_folder_bytes": folder("snapshots"),
    "rows_in_tables": rows,
    "table_bytes": {{name: tables.get("identity_" + name) for name in rows}},
    "attendance_rows": AttendanceRecord.objects.filter(camera_id__in=ids).count(),
    "provisional_identities": ProvisionalIdentity.objects.count(),
}}))
"""

FRAME_COUNTS_CODE = """
import json
from identity.services.frames import frame_counts
print(json.dumps({{i: frame_counts(camera_id=i) for i in {ids!r}}}))
"""

SETTINGS_CODE = """
import dataclasses, json
from django.conf import settings
from identity.face_engine import get_face_engine
names = ("FACEAPP_LIVE_SHARDS", "FACEAPP_LIVE_RUN_SECONDS", "FACEAPP_RATE_CAMERA_FPS", "FACEAPP_TRACK_TIMEOUT_SECONDS",
         "FACEAPP_VISIT_COOLDOWN_SECONDS", "CELERY_WORKER_CONCURRENCY", "FACEAPP_CAMERA_MIN_FACE_PX")
print(json.dumps({"engine": dataclasses.asdict(get_face_engine().config),
                  "settings": {name: getattr(settings, name) for name in names}}))
"""


def _shell_json(stack: LocalStack, code: str):
    return json.loads(stack.manage("shell", "-c", code).strip().splitlines()[-1])


def stored(stack: LocalStack, camera_ids: list[int], since: float) -> dict:
    """What the stack stored for these cameras since `since` (epoch seconds): visits
    (MatchLog rows), their snapshots, the bytes of their files, and the database's bytes
    per table (SQLite's dbstat: the bytes its rows and indexes use in their pages, free
    space left out)."""
    return _shell_json(stack, STORAGE_CODE.format(ids=camera_ids, since=since))


def frame_counts(stack: LocalStack, camera_ids: list[int]) -> dict[int, dict]:
    """Per camera, frames received and replaced, as the service itself counted them in Redis."""
    return {int(k): v for k, v in _shell_json(stack, FRAME_COUNTS_CODE.format(ids=camera_ids)).items()}


def stack_settings(stack: LocalStack) -> dict:
    """The stack's engine configuration (EngineConfig fields: the bench's bare-engine timing
    runs the same models with the same threads) and the live path's settings."""
    return _shell_json(stack, SETTINGS_CODE)


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

    def metrics(self, token: str | None) -> tuple[int, dict[tuple, float]]:
        """GET /metrics with the bearer token (None: without one, as a stranger, no session): the status
        and {(sample name, sorted label pairs): value}."""
        from prometheus_client.parser import text_string_to_metric_families

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.get(self.url + "/metrics", headers=headers, timeout=30)
        if response.status_code != 200:
            return response.status_code, {}
        return 200, {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                     for family in text_string_to_metric_families(response.text) for sample in family.samples}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.session.cookies.items())

    def _post_form(self, path: str, data: dict, files=None) -> requests.Response:
        page = self.session.get(self.url + path, timeout=30)
        page.raise_for_status()
        return self.session.post(self.url + path, data={**data, "csrfmiddlewaretoken": _csrf_token(page.text)}, files=files,
                                 headers={"Referer": self.url + path}, allow_redirects=False, timeout=60)  # fmt: skip

    def login(self, user: str, password: str) -> None:
        response = self._post_form("/accounts/login/", {"username": user, "password": password})
        if response.status_code != 302 or "sessionid" not in self.session.cookies:
            raise SystemExit(f"login as {user!r} failed ({response.status_code})")

    def cameras_create(self, names: list[str]) -> list[tuple[int, str, str]]:
        """(id, name, token) of each new camera, created on the camera page; each token asked for on its own page."""
        for name in names:
            # As a browser posts the form: the motion gate ticked, its default (FACEAPP_MOTION_GATE=0 turns it off).
            response = self._post_form("/cameras/", {"name": name, "kind": "webcam", "motion_gate": "on"})
            if response.status_code != 302:
                raise SystemExit(f"could not create camera {name} ({response.status_code})")
        page = self.session.get(self.url + "/cameras/", timeout=30).text
        ids = {}
        for row in re.split(r"<tr[ >]", page)[1:]:
            match = re.search(r'<td>([^<]+)</td>.*?href="/cameras/(\d+)/"', row, re.DOTALL)
            if match:
                ids[match.group(1).strip()] = int(match.group(2))
        missing = [name for name in names if name not in ids]
        if missing:
            raise SystemExit(f"cameras not listed on {self.url}/cameras/: {missing}")
        return [(ids[name], name, self._camera_token(ids[name])) for name in names]

    def _camera_token(self, camera_id: int) -> str:
        """The device token, shown only when an admin asks for it on the camera's settings page."""
        edit = self.session.get(f"{self.url}/cameras/{camera_id}/edit/", timeout=30)
        edit.raise_for_status()
        shown = self.session.post(f"{self.url}/cameras/{camera_id}/token/show/",
                                  data={"csrfmiddlewaretoken": _csrf_token(edit.text)},
                                  headers={"Referer": edit.url}, timeout=30)  # fmt: skip
        match = re.search(r"<code class=\"token\" data-token>([^<]+)</code>", shown.text)
        if shown.status_code != 200 or not match:
            raise SystemExit(f"no token shown for camera {camera_id} ({shown.status_code}): is this an admin?")
        return match.group(1)

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


GROUPS = ("worker", "live worker", "camera readers", "server", "valkey")


def _group_of(command: str) -> str | None:
    if "celery" in command and "worker" in command:
        return "live worker" if "live@" in command else "worker"
    if "camreaders" in command:
        return "camera readers"
    if "daphne" in command:
        return "server"
    if "valkey" in command or "redis-server" in command:
        return "valkey"
    return None


def _processes(root_pid: int | None) -> dict[str, list[int]]:
    """Pids per group (GROUPS): each child runstack started with all its descendants (a
    Celery worker's pool processes count with it); or, for a server started elsewhere
    (root_pid None), every process on this machine whose command line names its group."""
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
    groups: dict[str, list[int]] = {name: [] for name in GROUPS}
    if root_pid is None:
        for pid, command in commands.items():
            if (group := _group_of(command)) is not None:
                groups[group].append(pid)
        return groups
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    for top in children.get(root_pid, []):
        group = _group_of(commands.get(top, ""))
        if group is None:
            continue
        queue = [top]
        while queue:
            pid = queue.pop()
            groups[group].append(pid)
            queue += children.get(pid, [])
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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / CLOCK_TICKS


def _machine_busy_seconds() -> float:
    """CPU time all cores of this machine spent busy so far (/proc/stat, not idle or iowait)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / CLOCK_TICKS


class MemorySampler:
    """RSS of each process group (GROUPS, summed over its processes), once a second, in a
    thread; and their CPU time at each mark."""

    def __init__(self, root_pid: int | None):
        self.root_pid = root_pid
        self.samples: list[tuple[float, dict[str, float | None]]] = []
        self.marks: dict[str, float] = {}
        self.cpu_marks: dict[str, dict[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()
        groups = _processes(self.root_pid)
        self.cpu_marks[name] = {group: _cpu_seconds(pids) for group, pids in groups.items()}
        self.cpu_marks[name]["machine"] = _machine_busy_seconds()

    def cpu(self, start: str, end: str) -> dict[str, float]:
        """Per group, the share of one core it used between two marks (1.0 = a whole core);
        "machine": every process on this machine together (other work on it shows here)."""
        if start not in self.marks or end not in self.marks:
            return {}
        elapsed = max(1e-6, self.marks[end] - self.marks[start])
        return {group: round((self.cpu_marks[end][group] - self.cpu_marks[start].get(group, 0.0)) / elapsed, 2)
                for group in self.cpu_marks[end]}  # fmt: skip

    def _loop(self) -> None:
        while not self._stop.is_set():
            groups = _processes(self.root_pid)  # pool children may be replaced: look every time
            self.samples.append((time.monotonic(), {name: _rss_mib(pids) for name, pids in groups.items()}))
            self._stop.wait(1.0)

    def series(self) -> list[list]:
        """Every sample: [seconds since the load's start, {group: RSS MiB}]."""
        start = self.marks.get("load_start", self.samples[0][0] if self.samples else 0.0)
        return [[round(t - start, 1), {k: v for k, v in values.items() if v is not None}] for t, values in self.samples]

    def report(self, *, flat_pct: float, warm_after: float) -> dict:
        """Per group: RSS at the load's start, `warm_after` seconds in, at the end (drained)
        and the maximum; flat = the end is within `flat_pct` of the warm value. "all" sums
        the groups the bench judges (not Valkey, whose size follows the data it holds)."""
        start, end = self.marks.get("load_start"), self.marks.get("drained")
        if start is None or end is None:
            return {}
        window = [(t, values) for t, values in self.samples if start <= t <= end]
        judged = [name for name in GROUPS if name != "valkey"]
        reports = {}
        for name in (*GROUPS, "all"):
            series = []
            for t, values in window:
                if name == "all":
                    parts = [values.get(g) for g in judged if values.get(g) is not None]
                    value = round(sum(parts), 1) if parts else None
                else:
                    value = values.get(name)
                if value is not None:
                    series.append((t, value))
            if not series:
                reports[name] = None
                continue
            warm = next((v for t, v in series if t >= start + warm_after), series[-1][1])
            growth = (series[-1][1] - warm) / warm * 100
            reports[name] = {"start": series[0][1], "warm": warm, "end": series[-1][1],
                             "max": max(v for _, v in series), "growth_pct": round(growth, 1),
                             "flat": growth <= flat_pct, "samples": len(series)}  # fmt: skip
        return reports


def _csrf_token(page: str) -> str:
    """The CSRF token a form on `page` posts back."""
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
