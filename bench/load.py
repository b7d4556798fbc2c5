"""Load on the live camera path: N simulated cameras stream 640x480 JPEG frames of people
walking past over ws/cameras/<id>/ at R fps for T seconds, while a dashboard socket receives
the live worker's overlays and visits.

By default it starts its own stack (`manage.py runstack --port <free>`: `make run`'s stack, in
a temporary FACEAPP_DATA_DIR with the embedded Valkey, the Celery worker, the live worker and
the camera readers), logs in as the admin, creates the cameras through the camera page and
enrols some LFW people through the person form, so that passers-by are known people or
strangers. `--url` drives a running server instead (`--user`/`--password` of an admin: camera
tokens are shown to admins only; no storage figures then).

Frames: a grey 640x480 canvas; a passer-by is one LFW photo over --pass-frames consecutive
frames, moving sideways and growing a little, then --gap-frames empty frames (longer than the
track timeout, so the track ends and its visit closes), then the next person. Each camera
walks through the pool of people in its own order, starting at its own offset.

Phases: a warm-up (every camera: one pass of a person not in the pool, then quiet until its
track ends; not measured), then the LOAD (all N cameras at R fps for T seconds, each on its
own clock), then a drain (overlays still in flight arrive, open visits end).

Counted: frames sent, acks by status (`queued`; `replaced`: it took the place of a frame
still waiting, which is dropped by design, not an error; `rate-limited`; `rejected`), frames
processed = `camera.overlay` events on the dashboard socket. A camera's frames are processed
in order and a frame is dropped exactly when the next accepted one is acked "replaced", so
its k-th overlay belongs to its k-th frame that was not dropped; a frame accepted, not
dropped and never processed is an error (lost).

Latency, per overlay: dashboard arrival (this process's clock) minus the frame's send time
(same machine, same clock: time.time()); also minus its `captured_at` (when the server put it
in Redis) and the server's own `latency_ms` (processed minus captured). Printed beside the
bare engine's time per frame (detect + embed of one face, the same frames, the stack's engine
configuration) measured in this process after the stack has stopped.

Memory: RSS of each process group of the stack (the Celery worker and the live worker, each
with its pool; the camera readers; the server; Valkey), read from /proc every second; "after
warm-up" is the value 10 s into the load, "flat" means the end is within --flat-pct of it.

Storage: the visits (MatchLog rows), their evidence snapshots and files written during the
load, read back from the stack; per hour of one camera with 60 passers-by, beside what one
Snapshot row + the frame's JPEG per frame and one MatchLog row + crop per face per frame (the
path before visits) would cost for the same frames.

    .venv/bin/pip install -r bench/requirements.txt     # websockets (the client side)
    .venv/bin/python bench/load.py                      # 8 cameras x 5 fps x 60 s
    .venv/bin/python bench/load.py --cameras 2 --seconds 8 --people 2 --json out.json
    .venv/bin/python bench/load.py --cameras 16 --pass-frames 0    # idle doorways: what an empty camera costs

Live pictures (bench/load_watch.py): after the load, the same load again while --watch-pages pages
watch every camera (0: no such phase); frames processed a second of both phases, one run.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from load_stack import (  # noqa: E402
    LocalStack,
    MemorySampler,
    WebClient,
    frame_counts,
    stack_settings,
    stored,
)
from load_watch import watched_cost, watched_phase  # noqa: E402

DEFAULT_FACES = ROOT.parent / "shared" / "faces"
FIXTURES = ROOT / "tests" / "fixtures"
FRAME_SIZE = (640, 480)  # a webcam's
CANVAS_GREY = 96
JPEG_QUALITY = 85  # a browser's canvas.toBlob("image/jpeg", 0.85)
ACCEPTED_ACKS = ("queued", "replaced")
KNOWN_ACKS = (*ACCEPTED_ACKS, "rate-limited", "rejected")
DRAIN_SECONDS = 30.0
WARMUP_DRAIN_SECONDS = 120.0  # the live workers load the models on their first frame
MEMORY_WARM_AFTER = 10.0  # seconds into the load
PASSERS_PER_HOUR = 60
OLD_CROP_QUALITY = 90  # the per-frame path's crops (identity.services.recognition before visits)
DEFAULT_SETTINGS = {"FACEAPP_LIVE_SHARDS": None, "FACEAPP_TRACK_TIMEOUT_SECONDS": 3.0,
                    "FACEAPP_RATE_CAMERA_FPS": None}  # fmt: skip


# ---------- frames ----------


@dataclass(frozen=True)
class Passer:
    name: str
    photos: tuple[Path, ...]  # a camera uses one of them (by its index)
    known: bool


def photo_sets(faces: Path, people: int) -> tuple[dict[str, list[Path]], list[Passer], Passer]:
    """(name -> enrolment photos, the pool of passers-by, the warm-up passer): LFW people with
    4+ photos; the first `people` enrolled (photos 1-2; photos 3-4 pass by), as many others
    pass by as strangers (photos 1-2, never enrolled), known and strangers alternating; one
    more stranger for the warm-up. Without the shared data set: the photos in tests/fixtures
    (one person enrolled, one stranger, the group photo for the warm-up)."""
    lfw = faces / "lfw"
    if not (lfw / "lfw-names.txt").exists():
        enrol = {"Fixture Person A": [FIXTURES / "lfw_person_a_1.jpg"]}
        pool = [Passer("Fixture Person A", (FIXTURES / "lfw_person_a_2.jpg",), True),
                Passer("Fixture Person B", (FIXTURES / "lfw_person_b_1.jpg",), False)]  # fmt: skip
        return enrol, pool, Passer("Fixture group", (FIXTURES / "bbt_group.jpg",), False)
    names = sorted(
        name for name, count in (line.split() for line in (lfw / "lfw-names.txt").read_text().splitlines())
        if int(count) >= 4
    )[: 2 * people + 1]

    def photo(name: str, number: int) -> Path:
        return lfw / "images" / name / f"{name}_{number:04d}.jpg"

    known, strangers = names[:people], names[people : 2 * people]
    enrol = {name.replace("_", " "): [photo(name, 1), photo(name, 2)] for name in known}
    pool: list[Passer] = []
    for person, stranger in zip(known, strangers):
        pool.append(Passer(person, (photo(person, 3), photo(person, 4)), True))
        pool.append(Passer(stranger, (photo(stranger, 1), photo(stranger, 2)), False))
    warmup = Passer(names[-1], (photo(names[-1], 1),), False)
    return enrol, pool, warmup


def encode(frame: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1].tobytes()


def empty_frame() -> bytes:
    width, height = FRAME_SIZE
    return encode(np.full((height, width, 3), CANVAS_GREY, np.uint8))


def pass_frames(path: Path, count: int, seed: int) -> list[bytes]:
    """`count` frames of one photo walking past: it moves ~8 px a frame sideways, bobs a
    little and grows from 92 % to 108 % (coming closer); photos larger than ~300 px high
    (group photos) are scaled down to fit first."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {path}")
    width, height = FRAME_SIZE
    base = min(1.0, 300 / image.shape[0], 500 / image.shape[1])
    rng = np.random.default_rng(seed)
    step = 8.0
    largest_w = image.shape[1] * base * 1.08
    x = rng.uniform(10, max(11.0, width - largest_w - step * count - 10))
    y0 = (height - image.shape[0] * base) / 2
    frames = []
    for index in range(count):
        scale = base * (0.92 + 0.16 * index / max(1, count - 1))
        photo = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)  # fmt: skip
        top = int(np.clip(y0 + 6 * np.sin(index * 1.3) - (photo.shape[0] - image.shape[0] * base) / 2, 0,
                          height - photo.shape[0]))  # fmt: skip
        left = int(np.clip(x + step * index, 0, width - photo.shape[1]))
        frame = np.full((height, width, 3), CANVAS_GREY, np.uint8)
        frame[top : top + photo.shape[0], left : left + photo.shape[1]] = photo
        frames.append(encode(frame))
    return frames


class Footage:
    """Each camera's frames: an offset of empty frames (so the cameras' passes are spread in
    time), then passes (--pass-frames of one passer-by) each followed by --gap-frames empty
    frames. Camera k walks through the pool from person 3k on, with photo k mod 2 of each."""

    def __init__(self, pool: list[Passer], cameras: int, pass_count: int, gap_count: int):
        self.pool, self.cameras, self.pass_count, self.gap_count = pool, cameras, pass_count, gap_count
        self.cycle = pass_count + gap_count
        self.empty = empty_frame()
        self._passes: dict[Path, list[bytes]] = {}

    def frames_of(self, path: Path) -> list[bytes]:
        if path not in self._passes:
            self._passes[path] = pass_frames(path, self.pass_count, seed=sum(path.name.encode()))
        return self._passes[path]

    def offset(self, camera_index: int) -> int:
        return round(camera_index * self.cycle / self.cameras)

    def frame(self, camera_index: int, number: int) -> tuple[bytes, int | None]:
        """(JPEG, pass number on this camera or None for an empty frame) of frame `number`."""
        position = number - self.offset(camera_index)
        if position < 0 or position % self.cycle >= self.pass_count:
            return self.empty, None
        segment = position // self.cycle
        passer = self.pool[(3 * camera_index + segment) % len(self.pool)]
        photo = passer.photos[camera_index % len(passer.photos)]
        return self.frames_of(photo)[position % self.cycle], segment

    def warm(self, cameras: int, frames: int) -> None:
        """Encode every pass the run will send now, not while streaming."""
        if not self.pass_count:  # an idle doorway: nobody passes
            return
        for camera_index in range(cameras):
            for number in range(0, frames, self.pass_count):
                self.frame(camera_index, number)


# ---------- one run ----------


@dataclass
class Frame:
    seq: int
    phase: str
    sent_at: float  # time.time()
    size: int
    passing: int | None  # pass number on its camera, None for an empty frame
    ack: str | None = None


@dataclass
class Overlay:
    arrived: float  # time.time()
    captured_at: float
    server_ms: float
    faces: int
    still: bool = False  # nothing moved and no face was followed: no face detector ran (FACEAPP_MOTION_GATE)


@dataclass
class Camera:
    id: int
    name: str
    token: str
    index: int
    frames: list[Frame] = field(default_factory=list)
    overlays: list[Overlay] = field(default_factory=list)  # from the dashboard socket
    camera_socket_overlays: int = 0
    acked: int = 0

    def processed(self) -> list[Frame]:
        """The frames that get an overlay, in order (see the module docstring)."""
        accepted = [f for f in self.frames if f.ack in ACCEPTED_ACKS]
        return [frame for frame, following in zip(accepted, accepted[1:] + [None])
                if following is None or following.ack != "replaced"]  # fmt: skip

    def pairs(self) -> tuple[list[tuple[Frame, Overlay]], int]:
        """(frame, its overlay) pairs and how many pairs look wrong (the overlay's captured_at
        before the frame was sent, or long after). When the counts differ (a frame lost), each
        overlay goes to the last frame sent before its captured_at instead."""
        processed = self.processed()
        if len(processed) == len(self.overlays):
            pairs = list(zip(processed, self.overlays))
        else:
            sent = [f.sent_at for f in processed]
            found = ((bisect.bisect_right(sent, o.captured_at) - 1, o) for o in self.overlays)
            pairs = [(processed[i], o) for i, o in found if i >= 0]
        wrong = sum(not (-0.001 <= o.captured_at - f.sent_at < 5.0) for f, o in pairs)
        return pairs, wrong


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


class Run:
    def __init__(self, args, client: WebClient, cameras: list[Camera], footage: Footage):
        self.args, self.client, self.cameras, self.footage = args, client, cameras, footage
        self.by_id = {camera.id: camera for camera in cameras}
        self.errors: list[str] = []
        self.visit_events: list[tuple[float, dict]] = []  # (arrived, event) for our cameras
        self.sockets: dict[int, ClientConnection] = {}
        self.readers: list[asyncio.Task] = []
        self.closing = False

    def error(self, message: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(message)

    async def open(self) -> None:
        origin = self.client.origin
        cookie = {"Cookie": self.client.cookie_header()}
        dashboard = await connect(self.client.ws_url("ws/dashboard/"), origin=origin, compression=None, proxy=None,
                                  max_size=None, additional_headers=cookie)  # fmt: skip
        self.sockets[0] = dashboard
        self.readers.append(asyncio.create_task(self._read_dashboard(dashboard)))
        for camera in self.cameras:
            url = self.client.ws_url(f"ws/cameras/{camera.id}/")
            token = {"Authorization": f"Bearer {camera.token}"}  # a device's token travels in a header
            socket = await connect(url, origin=origin, compression=None, proxy=None, max_size=None, additional_headers=token)
            self.sockets[camera.id] = socket
            self.readers.append(asyncio.create_task(self._read_camera(camera, socket)))

    async def close(self) -> None:
        self.closing = True
        for socket in self.sockets.values():
            await socket.close()
        await asyncio.gather(*self.readers, return_exceptions=True)

    async def _read_dashboard(self, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                arrived = time.time()
                event = json.loads(message)
                kind = event.get("type")
                if kind == "camera.overlay":
                    camera = self.by_id.get(event["camera"]["id"])
                    if camera is not None:  # else another camera's (a running server has its own)
                        camera.overlays.append(Overlay(arrived, _epoch(event["captured_at"]),
                                                       float(event["latency_ms"]), len(event["faces"]),
                                                       bool(event.get("still"))))  # fmt: skip
                elif kind == "visit.update" and event["visit"]["camera"]["id"] in self.by_id:
                    self.visit_events.append((arrived, event))
        except WebSocketException as exc:
            self.error(f"dashboard socket: {type(exc).__name__}: {exc}")
        if not self.closing:
            self.error(f"dashboard socket closed by the server: {socket.close_code} {socket.close_reason}")

    async def _read_camera(self, camera: Camera, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                event = json.loads(message)
                if event.get("type") == "camera.overlay":
                    camera.camera_socket_overlays += 1
                elif event.get("type") == "camera.frame":
                    # Acks come back in the order the frames were sent.
                    frame = camera.frames[camera.acked]
                    frame.ack = event.get("status")
                    camera.acked += 1
                    if frame.ack not in (*ACCEPTED_ACKS, "rate-limited"):
                        self.error(f"camera {camera.id} frame {frame.seq}: ack {event}")
        except WebSocketException as exc:
            self.error(f"camera {camera.id} socket: {type(exc).__name__}: {exc}")
        if not self.closing:
            self.error(f"camera {camera.id} socket closed by the server: {socket.close_code} {socket.close_reason}")

    async def stream(self, phase: str, seconds: float, frame_of) -> None:
        """Every camera sends R frames a second on its own clock, offset from the others';
        frame_of(camera, number) -> (JPEG, pass number or None)."""
        period = 1.0 / self.args.fps
        start = time.monotonic()
        count = round(seconds * self.args.fps)

        async def one(camera: Camera) -> None:
            socket = self.sockets[camera.id]
            tick = start + camera.index * period / len(self.cameras)
            for number in range(count):
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
                jpeg, passing = frame_of(camera, number)
                camera.frames.append(Frame(seq=len(camera.frames), phase=phase, sent_at=time.time(), size=len(jpeg),
                                           passing=passing))  # fmt: skip
                try:
                    await socket.send(jpeg)
                except WebSocketException as exc:
                    self.error(f"camera {camera.id} send: {type(exc).__name__}: {exc}")
                    return
                tick += period

        await asyncio.gather(*(one(camera) for camera in self.cameras))

    def _outstanding(self) -> int:
        return sum(len(c.frames) - c.acked + max(0, len(c.processed()) - len(c.overlays)) for c in self.cameras)

    def open_visits(self, since: float) -> set[int]:
        opened, ended = set(), set()
        for _, event in self.visit_events:
            visit = event["visit"]
            if _epoch(visit["first_seen"]) >= since:
                (ended if event["event"] == "ended" else opened).add(visit["id"])
        return opened - ended

    async def drain(self, seconds: float) -> float:
        start = time.monotonic()
        while self._outstanding() and time.monotonic() - start < seconds:
            await asyncio.sleep(0.1)
        return time.monotonic() - start

    async def visits_end(self, since: float, seconds: float) -> float:
        start = time.monotonic()
        while self.open_visits(since) and time.monotonic() - start < seconds:
            await asyncio.sleep(0.2)
        return time.monotonic() - start

    # ----- figures -----

    def load_report(self, seconds: float, load_start: float) -> dict:
        counts = {"sent": 0, "queued": 0, "replaced": 0, "rate_limited": 0, "rejected": 0, "unacked": 0}
        latency = {"sent_to_dashboard": [], "redis_to_dashboard": [], "redis_to_processed": []}
        processed = lost = wrong_pairs = still = 0
        faces_pass = frames_pass = faces_empty = frames_empty = 0
        per_camera, buckets = [], [0] * max(1, int(np.ceil(seconds / 10)))
        bucket_latency: list[list[float]] = [[] for _ in buckets]
        slowest = []
        for camera in self.cameras:
            load_frames = [f for f in camera.frames if f.phase == "load"]
            for frame in load_frames:
                counts["sent"] += 1
                key = {"queued": "queued", "replaced": "replaced", "rate-limited": "rate_limited",
                       None: "unacked"}.get(frame.ack, "rejected")  # fmt: skip
                counts[key] += 1
            pairs, wrong = camera.pairs()
            wrong_pairs += wrong
            mine = [(f, o) for f, o in pairs if f.phase == "load"]
            expected = sum(f.phase == "load" for f in camera.processed())
            lost += max(0, expected - len(mine))
            processed += len(mine)
            per_camera.append(len(mine))
            still += sum(overlay.still for _, overlay in mine)
            for frame, overlay in mine:
                latency["sent_to_dashboard"].append(overlay.arrived - frame.sent_at)
                latency["redis_to_dashboard"].append(overlay.arrived - overlay.captured_at)
                latency["redis_to_processed"].append(overlay.server_ms / 1000)
                bucket = min(len(buckets) - 1, int((frame.sent_at - load_start) // 10))
                buckets[bucket] += 1
                bucket_latency[bucket].append(overlay.arrived - frame.sent_at)
                slowest.append((round((overlay.arrived - frame.sent_at) * 1000, 1), camera.id,
                                round(frame.sent_at - load_start, 2), round(overlay.server_ms, 1)))  # fmt: skip
                if frame.passing is None:
                    faces_empty, frames_empty = faces_empty + overlay.faces, frames_empty + 1
                else:
                    faces_pass, frames_pass = faces_pass + overlay.faces, frames_pass + 1
            if wrong:
                self.error(f"camera {camera.id}: {wrong} overlays whose captured_at does not fit their frame")
        if lost:
            self.error(f"load: {lost} frames accepted, not replaced and never processed")
        if counts["unacked"] or counts["rejected"]:
            self.error(f"load: {counts['unacked']} frames never acked, {counts['rejected']} rejected")
        sizes = [f.size for c in self.cameras for f in c.frames if f.phase == "load"]
        pass_sizes = [f.size for c in self.cameras for f in c.frames if f.phase == "load" and f.passing is not None]
        passes = sum(len({f.passing for f in c.frames if f.phase == "load" and f.passing is not None})
                     for c in self.cameras)  # fmt: skip
        bucket_seconds = [min(10.0, seconds - 10 * i) for i in range(len(buckets))]
        return {
            "cameras": len(self.cameras), "fps": self.args.fps, "seconds": seconds, **counts,
            "processed": processed, "lost": lost, "processed_per_second": round(processed / seconds, 2),
            "still": still, "still_share": round(still / processed, 3) if processed else None,
            "processed_per_second_by_10s": [round(n / s, 1) for n, s in zip(buckets, bucket_seconds) if s > 0],
            "processed_per_camera": per_camera,
            "latency_p95_ms_by_10s": [latency_summary(v)["p95"] for v in bucket_latency],
            "slowest": [dict(zip(("ms", "camera", "sent_s_into_load", "server_ms"), row))
                        for row in sorted(slowest, reverse=True)[:10]],
            "latency_ms": {name: latency_summary(values) for name, values in latency.items()},
            "passes": passes, "pass_frames": self.args.pass_frames, "gap_frames": self.args.gap_frames,
            "faces_per_pass_frame": round(faces_pass / frames_pass, 3) if frames_pass else None,
            "faces_per_empty_frame": round(faces_empty / frames_empty, 3) if frames_empty else None,
            "jpeg_bytes_mean": round(statistics.mean(sizes)) if sizes else None,
            "jpeg_bytes_pass_mean": round(statistics.mean(pass_sizes)) if pass_sizes else None,
            "jpeg_bytes_empty": len(self.footage.empty),
        }  # fmt: skip

    def visit_report(self, since: float) -> dict:
        events = [e for _, e in self.visit_events if _epoch(e["visit"]["first_seen"]) >= since]
        ids = {e["visit"]["id"] for e in events}
        decisions = {}
        for event in events:
            decisions[event["visit"]["id"]] = event["visit"]["decision"]
        return {
            "events": {kind: sum(e["event"] == kind for e in events) for kind in ("opened", "named", "ended")},
            "visits": len(ids), "known": sum(d == "known" for d in decisions.values()),
            "still_open": len(self.open_visits(since)),
        }


def frames_csv(path: Path, run: Run, since: float) -> None:
    """One line per frame sent and per visit event, times in seconds since the load's start."""
    lines = ["camera,seq,phase,passing,ack,sent,captured,arrived,server_ms,faces"]
    for camera in run.cameras:
        overlays = {id(f): o for f, o in camera.pairs()[0]}
        for f in camera.frames:
            o = overlays.get(id(f))
            cells = [camera.id, f.seq, f.phase, "" if f.passing is None else f.passing, f.ack or "",
                     round(f.sent_at - since, 3)]  # fmt: skip
            if o is None:
                cells += [""] * 4
            else:
                cells += [round(o.captured_at - since, 3), round(o.arrived - since, 3), o.server_ms, o.faces]
            lines.append(",".join(map(str, cells)))
    for arrived, event in run.visit_events:
        visit = event["visit"]
        lines.append(f"{visit['camera']['id']},visit {visit['id']},{event['event']},,{visit['decision']},,,"
                     f"{round(arrived - since, 3)},,")  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def latency_summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None, "mean": None}
    ms = np.array(values) * 1000
    return {"n": len(values), "p50": round(float(np.percentile(ms, 50)), 1),
            "p95": round(float(np.percentile(ms, 95)), 1), "max": round(float(ms.max()), 1),
            "mean": round(float(ms.mean()), 1)}  # fmt: skip


METRICS_PER_CAMERA = {"read": "faceapp_frames_read_total", "processed": "faceapp_frames_processed_total",
                      "recognitions": "faceapp_recognition_seconds_count", "overlays": "faceapp_overlay_latency_seconds_count",
                      "visits_opened": "faceapp_visits_opened_total", "still": "faceapp_frames_still_total"}  # fmt: skip


def metrics_report(client: WebClient, token: str, cameras: list[Camera], before: dict, after: dict) -> dict:
    """What /metrics counted during the load, per camera (added up over the stack's processes in Redis),
    and what a scrape without the token got."""
    def moved(name: str, camera: Camera) -> float:
        key = (name, (("camera", str(camera.id)),))
        return after.get(key, 0.0) - before.get(key, 0.0)

    return {
        "per_camera": {camera.id: {what: moved(name, camera) for what, name in METRICS_PER_CAMERA.items()}
                       for camera in cameras},
        "recognition_seconds_mean": round(
            sum(moved("faceapp_recognition_seconds_sum", c) for c in cameras)
            / max(1.0, sum(moved("faceapp_recognition_seconds_count", c) for c in cameras)), 4),
        "without_token": client.metrics(None)[0],
        "wrong_token": client.metrics(token + "x")[0],
    }


async def run_phases(args, client: WebClient, cameras: list[Camera], footage: Footage, warmup: list[bytes],
                     sampler: MemorySampler, track_timeout: float, metrics_token: str | None) -> dict:  # fmt: skip
    run = Run(args, client, cameras, footage)
    await run.open()
    # Warm-up: the live workers start and load their models; the pass's tracks then end.
    await run.stream("warmup", len(warmup) / args.fps, lambda camera, n: (warmup[n], None))
    warm_drain = await run.drain(WARMUP_DRAIN_SECONDS)
    await asyncio.sleep(track_timeout + 2.0)
    scraped = client.metrics(metrics_token)[1] if metrics_token else None
    load_start = time.time()
    sampler.mark("load_start")
    cpu_start = time.process_time()
    await run.stream("load", args.seconds, lambda camera, n: footage.frame(camera.index, n))
    sampler.mark("load_end")
    summary_cpu = time.process_time() - cpu_start
    drained = await run.drain(DRAIN_SECONDS)
    visits_wait = await run.visits_end(load_start, track_timeout + 15.0)
    sampler.mark("drained")
    await asyncio.sleep(0.5)  # stragglers: an overlay after the drain is still counted
    load = run.load_report(args.seconds, load_start)
    visits = run.visit_report(load_start)
    if metrics_token:
        await asyncio.sleep(1.5)  # each process adds its counts to Redis once a second (faceapp/metrics.py)
        metrics = metrics_report(client, metrics_token, cameras, scraped, client.metrics(metrics_token)[1])
    if args.frames_csv:
        frames_csv(args.frames_csv, run, load_start)
    watched = await watched_phase(run, args, lambda camera, n: footage.frame(camera.index, n), DRAIN_SECONDS,
                                  sampler) if args.watch_pages else None
    await run.close()
    for camera in cameras:
        if camera.camera_socket_overlays != len(camera.overlays):
            run.error(f"camera {camera.id}: {camera.camera_socket_overlays} overlays on its own socket, "
                      f"{len(camera.overlays)} on the dashboard")  # fmt: skip
    warm = [f for c in cameras for f in c.frames if f.phase == "warmup"]
    return {
        "load": load, "visits_seen": visits, "load_start": load_start, "errors": run.errors,
        "client_cpu_seconds": round(summary_cpu, 2),
        "watched": watched,
        "metrics": metrics if metrics_token else None,
        "warmup": {"sent": len(warm), "processed": sum(f.phase == "warmup" for c in cameras for f, _ in c.pairs()[0]),
                   "drain_seconds": round(warm_drain, 1)},
        "drain_seconds": round(drained, 1), "visits_end_seconds": round(visits_wait, 1),
        "acks_by_camera": {c.id: {s: sum(f.ack == s for f in c.frames) for s in KNOWN_ACKS} for c in cameras},
    }  # fmt: skip


# ---------- the bare engine ----------


def engine_time(config: dict, jpegs: list[bytes], min_face_px: int | None = None) -> dict:
    """Per frame, in this process (the stack stopped): decode, detect (sized as the stack's cameras
    are: `min_face_px`, None the name size), and align + embed the largest face, with the stack's
    engine configuration; and the JPEG size of such crops."""
    from identity.vision import EngineConfig, get_engine
    from identity.vision.align import align_face
    from identity.vision.image import encode_jpeg

    engine = get_engine(EngineConfig(**config))
    min_face_px = engine.min_name_px if min_face_px is None else min_face_px
    decode, detect, embed, crops = [], [], [], []
    for index, jpeg in enumerate([*jpegs[:3], *jpegs]):
        t0 = time.perf_counter()
        image = engine.load_image(jpeg)
        t1 = time.perf_counter()
        found = engine.detect_frame(image, min_face_px=min_face_px)
        t2 = time.perf_counter()
        if found:
            face = max(found, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
            crop = align_face(image, face.keypoints)
            engine.embed(np.stack([crop]))
        t3 = time.perf_counter()
        if index < 3:
            continue  # warm-up
        decode.append(t1 - t0)
        detect.append(t2 - t1)
        if found:
            embed.append(t3 - t2)
            crops.append(len(encode_jpeg(crop, quality=OLD_CROP_QUALITY)))
    ms = lambda values: round(1000 * statistics.mean(values), 2) if values else None  # noqa: E731
    per_frame = [d + e for d, e in zip(detect, embed)] if len(embed) == len(detect) else None
    return {
        "frames": len(detect), "frames_with_a_face": len(embed), "decode_ms": ms(decode), "detect_ms": ms(detect),
        "embed_one_face_ms": ms(embed),
        "detect_embed_ms": ms(per_frame) if per_frame else round((ms(detect) or 0) + (ms(embed) or 0), 2),
        "crop_bytes_mean": round(statistics.mean(crops)) if crops else None,
        "config": {k: config[k] for k in ("detector", "embedder", "flip", "intra_op_threads")}, "min_face_px": min_face_px,
    }  # fmt: skip


def engine_frames(footage: Footage, count: int) -> list[bytes]:
    """`count` of the frames with a person that the cameras sent, spread over all of them."""
    frames = [frame for passing in footage._passes.values() for frame in passing]
    return [frames[i * len(frames) // count] for i in range(count)] if frames and count > 0 else []


# ---------- storage ----------


def storage_report(store: dict, load: dict, engine: dict) -> dict:
    """Per hour of one camera with 60 passers-by, from what this run stored per passer-by,
    beside the path that stored every frame (a Snapshot row + the frame's JPEG) and every face
    of every frame (a MatchLog row + a crop) for the same frames."""
    passes = load["passes"]
    if not passes:
        return {}

    def per_row(table: str) -> float | None:
        size, rows = store["table_bytes"].get(table), store["rows_in_tables"].get(table)
        return size / rows if size and rows else None

    log_row, snapshot_row = per_row("matchlog"), per_row("snapshot")
    rows = store["visits"] + store["snapshots"]
    files = store["crop_bytes"] + store["snapshot_bytes"]
    db = store["visits"] * (log_row or 0) + store["snapshots"] * (snapshot_row or 0)
    scale = PASSERS_PER_HOUR / passes
    live = {"rows": round(rows * scale), "matchlog_rows": round(store["visits"] * scale),
            "snapshot_rows": round(store["snapshots"] * scale), "file_bytes": round(files * scale),
            "db_bytes": round(db * scale), "bytes": round((files + db) * scale),
            "visits_per_passer": round(store["visits"] / passes, 2)}  # fmt: skip

    frames = round(load["fps"] * 3600)
    pass_frames = min(frames, PASSERS_PER_HOUR * load["pass_frames"])
    empty_frames = frames - pass_frames
    faces = pass_frames * (load["faces_per_pass_frame"] or 0) + empty_frames * (load["faces_per_empty_frame"] or 0)
    image_bytes = pass_frames * (load["jpeg_bytes_pass_mean"] or 0) + empty_frames * load["jpeg_bytes_empty"]
    crop = engine.get("crop_bytes_mean") or 0
    old_files = image_bytes + faces * crop
    old_db = frames * (snapshot_row or 0) + faces * (log_row or 0)
    every_frame = {"rows": round(frames + faces), "snapshot_rows": frames, "matchlog_rows": round(faces),
                   "file_bytes": round(old_files), "db_bytes": round(old_db), "bytes": round(old_files + old_db),
                   "frames": frames, "frames_with_passers": pass_frames}  # fmt: skip
    return {
        "passers_per_hour": PASSERS_PER_HOUR, "measured": {**store, "passes": passes},
        "db_bytes_per_row": {"matchlog": round(log_row) if log_row else None,
                             "snapshot": round(snapshot_row) if snapshot_row else None},
        "crop_bytes": crop, "live": live, "every_frame": every_frame,
        "ratio_rows": round(every_frame["rows"] / live["rows"], 1) if live["rows"] else None,
        "ratio_bytes": round(every_frame["bytes"] / live["bytes"], 1) if live["bytes"] else None,
    }  # fmt: skip


# ---------- report ----------


def _mib(value: float) -> str:
    return f"{value / 2**20:.1f} MiB"


def print_report(summary: dict) -> None:
    load, engine, settings = summary["load"], summary["engine"], summary["stack_settings"]
    shards = settings.get("FACEAPP_LIVE_SHARDS")
    print(f"\nLoad: {load['cameras']} cameras x {load['fps']:g} fps x {load['seconds']:g} s of 640x480 JPEGs "
          f"(~{load['jpeg_bytes_mean'] / 1024:.0f} KiB; a passer-by every {load['pass_frames'] + load['gap_frames']} "
          f"frames for {load['pass_frames']}), live path" + (f", {shards} live shards" if shards else ""))  # fmt: skip
    rows = [("frames sent", load["sent"]), ("  acked queued", load["queued"]),
            ("  acked replaced (the waiting frame dropped for it)", load["replaced"]),
            ("  acked rate-limited", load["rate_limited"]),
            ("  rejected / never acked", load["rejected"] + load["unacked"]),
            ("frames processed (overlays on the dashboard)", load["processed"]),
            ("  accepted, not replaced, never processed (lost)", load["lost"]),
            ("  processed without the detector (nothing moved)", load["still"])]  # fmt: skip
    for label, value in rows:
        print(f"{label:56}{value:>10}")
    per_camera = load["processed_per_camera"]
    print(f"{'processed per second, in all':56}{load['processed_per_second']:>10}   "
          f"(target {summary['target_fps']:g}; by 10 s: {' '.join(map(str, load['processed_per_second_by_10s']))})")
    print(f"{'processed per camera, min - max':56}{min(per_camera):>5} - {max(per_camera)}")
    watched = summary.get("watched")
    if watched:
        print(f"{'processed per second, %d pages watching (live pictures)' % watched['pages']:56}"
              f"{watched['processed_per_second']:>10}   ({watched['processed_per_second_ratio']}x unwatched; "
              f"{watched['pictures_per_second_per_page']} pictures/s a page, ~{watched['picture_bytes_mean']} bytes)")
        print(f"{'  CPU per frame processed, watched / unwatched':56}"
              + ", ".join(f"{group} {ratio}x" for group, ratio in watched["cpu_per_frame_ratio"].items()))
    print(f"\n{'latency (ms)':40}{'p50':>9}{'p95':>9}{'max':>9}")
    for label, key in (("sent -> overlay on the dashboard", "sent_to_dashboard"),
                       ("in Redis (captured_at) -> dashboard", "redis_to_dashboard"),
                       ("in Redis -> processed (server's latency_ms)", "redis_to_processed")):  # fmt: skip
        stats = load["latency_ms"][key]
        print(f"{label:40}" + "".join(f"{'-' if stats[s] is None else stats[s]:>9}" for s in ("p50", "p95", "max")))
    print(f"{'p95 by 10 s':40}" + " ".join(f"{'-' if v is None else round(v)}" for v in load["latency_p95_ms_by_10s"]))
    bare = engine.get("detect_embed_ms")
    if bare is None:
        print("bare engine: not timed (nobody passed by)")
    else:
        print(f"bare engine, this process after the stack stopped ({engine['frames']} of the frames, smallest face "
              f"{engine['min_face_px'] or 'any'} px, "
              f"{engine['config']['intra_op_threads'] or 'all'} ORT thread(s)): detect {engine['detect_ms']} ms + "
              f"embed one face {engine['embed_one_face_ms']} ms = {bare} ms a frame "
              f"(decode {engine['decode_ms']} ms)")  # fmt: skip
        ratios = summary["latency_vs_engine"]
        print(f"sent -> dashboard / bare engine: p50 {ratios['p50']}x, p95 {ratios['p95']}x")
    visits = summary["visits_seen"]
    print(f"\nvisits: {load['passes']} passers-by -> {visits['visits']} visits on the dashboard "
          f"({visits['known']} named, {visits['visits'] - visits['known']} strangers; events: "
          + ", ".join(f"{k} {v}" for k, v in visits["events"].items()) + f"; still open {visits['still_open']})")
    metrics = summary.get("metrics")
    if metrics:
        totals = {what: round(sum(c[what] for c in metrics["per_camera"].values())) for what in METRICS_PER_CAMERA}
        print("/metrics during the load (every process, through Redis): "
              + ", ".join(f"{what.replace('_', ' ')} {n}" for what, n in totals.items())
              + f"; recognition {metrics['recognition_seconds_mean'] * 1000:.0f} ms a frame (mean); "
              f"without the token: {metrics['without_token']}, a wrong one: {metrics['wrong_token']}")
    print("\nmemory RSS MiB    load start  after warm-up      end      max")
    for name, memory in summary["memory"].items():
        if memory:
            flat = "" if name == "valkey" else ("flat" if memory["flat"] else "NOT flat")
            print(f"  {name:15}{memory['start']:>10}{memory['warm']:>14}{memory['end']:>9}{memory['max']:>9}"
                  f"   {memory['growth_pct']:+.1f}% {flat}")  # fmt: skip
    cpu = summary.get("cpu_cores")
    if cpu:
        order = sorted(cpu, key=lambda k: {"machine": 2, "other processes": 1}.get(k, 0))
        print(f"CPU during the load (cores, of {os.cpu_count()}): "
              + ", ".join(f"{'machine (all processes)' if k == 'machine' else k} {cpu[k]}" for k in order
                          if cpu[k] is not None))  # fmt: skip
        if cpu.get("machine") is not None and load["processed"]:
            print(f"CPU per frame processed (the machine's, all processes): "
                  f"{cpu['machine'] * load['seconds'] * 1000 / load['processed']:.1f} ms")
        stack = sum(v or 0 for k, v in cpu.items() if k not in ("machine", "other processes", "bench client"))
        print(f"CPU per camera (the stack's processes): {stack / load['cameras']:.3f} cores")
    storage = summary.get("storage")
    if storage:
        live, old = storage["live"], storage["every_frame"]
        print(f"\nstored per hour of one camera with {storage['passers_per_hour']} passers-by at {load['fps']:g} fps "
              f"({old['frames']} frames, {old['frames_with_passers']} with a passer-by):")  # fmt: skip
        print(f"  live path (visits):  {live['rows']:>7} rows ({live['matchlog_rows']} MatchLog + "
              f"{live['snapshot_rows']} Snapshot), {_mib(live['bytes'])} (files {_mib(live['file_bytes'])}, "
              f"database {_mib(live['db_bytes'])}); {live['visits_per_passer']} visits per passer-by")  # fmt: skip
        print(f"  every frame stored:  {old['rows']:>7} rows ({old['snapshot_rows']} Snapshot + "
              f"{old['matchlog_rows']} MatchLog), {_mib(old['bytes'])} (files {_mib(old['file_bytes'])}, "
              f"database {_mib(old['db_bytes'])})")  # fmt: skip
        print(f"  every frame / visits: rows {storage['ratio_rows']}x, bytes {storage['ratio_bytes']}x   "
              f"(measured: {storage['measured']['visits']} visits, {storage['measured']['snapshots']} snapshots, "
              f"{_mib(storage['measured']['crop_bytes'] + storage['measured']['snapshot_bytes'])} of files for "
              f"{storage['measured']['passes']} passers-by; {load['processed']} frames processed)")  # fmt: skip
    print(f"\nerrors: {len(summary['errors'])}")
    for message in summary["errors"][:20]:
        print(f"  {message}")
    print(summary["verdict"])


def verdict(summary: dict) -> tuple[bool, str]:
    """PASS: the target rate, 0 errors, and every process group but Valkey flat."""
    load, memory = summary["load"], summary["memory"]
    fast = load["processed_per_second"] >= summary["target_fps"]
    judged = {name: m for name, m in memory.items() if name not in ("valkey", "all") and m}
    grown = [f"{name} {m['growth_pct']:+.1f}%" for name, m in judged.items() if not m["flat"]]
    flat = bool(judged) and not grown
    if not judged:
        memory_text = "memory not sampled"
    elif grown:
        memory_text = "memory NOT flat (" + ", ".join(grown) + " after warm-up)"
    else:
        memory_text = f"memory flat (all {memory['all']['growth_pct']:+.1f}% after warm-up)"
    ok = fast and not summary["errors"] and flat
    return ok, (f"{'PASS' if ok else 'FAIL'}: {load['processed_per_second']} frames/s processed "
                f"({'>=' if fast else '<'} {summary['target_fps']:g}), {len(summary['errors'])} errors, {memory_text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--people", type=int, default=12, help="LFW people enrolled (as many strangers pass by)")
    parser.add_argument("--pass-frames", type=int, default=10,
                        help="frames a passer-by is in view (0: an idle doorway, nobody passes)")
    parser.add_argument("--gap-frames", type=int, default=20, help="empty frames after each passer-by")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES, help="the shared faces folder (lfw/)")
    parser.add_argument("--concurrency", type=int, default=None, help="the started stack's Celery worker processes")
    parser.add_argument("--url", help="a running server instead of starting one, e.g. http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="")
    parser.add_argument("--target-fps", type=float, default=25.0, help="frames processed a second, in all")
    parser.add_argument("--engine-frames", type=int, default=50, help="frames the bare engine is timed on")
    parser.add_argument("--flat-pct", type=float, default=5.0)
    parser.add_argument("--watch-pages", type=int, default=2, help="pages watching live pictures in a 2nd phase")
    parser.add_argument("--json", type=Path, help="write the summary here too")
    parser.add_argument("--frames-csv", type=Path, help="write every frame's send/ack/overlay times here")
    parser.add_argument("--check", action="store_true", help="exit 1 unless PASS")
    parser.add_argument("--keep", action="store_true", help="keep the started stack's data folder")
    args = parser.parse_args(argv)

    enrol, pool, warm_passer = photo_sets(args.faces, args.people)
    footage = Footage(pool, args.cameras, args.pass_frames, args.gap_frames)
    footage.warm(args.cameras, round(args.seconds * args.fps))
    warmup = pass_frames(warm_passer.photos[0], min(args.pass_frames, 6) or 6, seed=1)
    stack = None if args.url else LocalStack(concurrency=args.concurrency, keep=args.keep)
    settings = {"engine": None, "settings": dict(DEFAULT_SETTINGS)}
    store = counts = None
    try:
        if stack:
            stack.start()
            settings = stack_settings(stack)
        client = WebClient(args.url or stack.url)
        client.login(args.user, args.password or (stack.admin_password if stack else ""))
        tag = time.strftime("%H%M%S")
        cameras = [
            Camera(id=c, name=n, token=t, index=i)
            for i, (c, n, t) in enumerate(client.cameras_create([f"load-{tag}-{i + 1}" for i in range(args.cameras)]))
        ]
        accepted = client.people_enrol({f"{name} {tag}": photos for name, photos in enrol.items()})
        sampler = MemorySampler(stack.pid if stack else None)
        sampler.start()
        print(f"{len(cameras)} cameras, {accepted} enrolment photos accepted, {len(pool)} people passing by",
              flush=True)  # fmt: skip
        timeout = float(settings["settings"].get("FACEAPP_TRACK_TIMEOUT_SECONDS") or 3.0)
        metrics_token = stack.metrics_token if stack else os.environ.get("FACEAPP_METRICS_TOKEN")
        summary = asyncio.run(run_phases(args, client, cameras, footage, warmup, sampler, timeout, metrics_token))
        sampler.stop()
        summary["memory"] = sampler.report(flat_pct=args.flat_pct, warm_after=MEMORY_WARM_AFTER)
        summary["memory_series"] = sampler.series()
        summary["cpu_cores"] = sampler.cpu("load_start", "load_end")
        cpu = summary["cpu_cores"]
        cpu["bench client"] = round(summary["client_cpu_seconds"] / args.seconds, 2)
        if "machine" in cpu:  # what else ran on this machine meanwhile
            ours = sum(v for k, v in cpu.items() if k != "machine")
            cpu["other processes"] = round(max(0.0, cpu["machine"] - ours), 2)
        if stack:
            counts = frame_counts(stack, [c.id for c in cameras])
            store = stored(stack, [c.id for c in cameras], summary["load_start"])
            summary["errors"] += stack.log_problems()
    finally:
        if stack:
            stack.stop()
    if counts is not None:
        summary["redis_frame_counts"] = counts
        for camera in cameras:
            acks = summary["acks_by_camera"][camera.id]
            mine = counts.get(camera.id, {})
            seen = {"received": acks["queued"] + acks["replaced"], "replaced": acks["replaced"]}
            if {k: mine.get(k, 0) for k in seen} != seen:
                summary["errors"].append(f"camera {camera.id}: Redis counted {mine}, the acks say {seen}")
    from identity.vision import EngineConfig  # after the stack: the bench's own process times the engine

    config = settings["engine"] or {**EngineConfig.from_env().__dict__, "intra_op_threads": 1}
    summary["engine"] = engine_time(config, engine_frames(footage, args.engine_frames),
                                    min_face_px=settings["settings"].get("FACEAPP_CAMERA_MIN_FACE_PX"))
    summary["stack_settings"] = settings["settings"]
    bare, latency = summary["engine"]["detect_embed_ms"], summary["load"]["latency_ms"]["sent_to_dashboard"]
    summary["latency_vs_engine"] = {s: round(latency[s] / bare, 1) if bare and latency[s] else None
                                    for s in ("p50", "p95")}  # fmt: skip
    summary["storage"] = storage_report(store, summary["load"], summary["engine"]) if store else None
    summary["enrolment_photos_accepted"] = accepted
    if summary["watched"]:
        watched_cost(summary)
    summary["target_fps"] = args.target_fps
    ok, summary["verdict"] = verdict(summary)
    summary["pass"] = ok
    print_report(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
