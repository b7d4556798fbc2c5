"""Load: N simulated cameras stream real face photos as JPEG frames over ws/cameras/<id>/ at
R fps for T seconds while a dashboard socket receives the results.

By default it starts its own stack (`manage.py runstack --port <free>`, a temporary
FACEAPP_DATA_DIR, the embedded Valkey, one Celery worker), logs in as the admin, creates the
cameras through the camera page and enrols a few LFW people through the person form, so that
frames hold known people, strangers and group photos. `--url` drives a running server
instead (`--user`/`--password` of an admin: camera tokens are shown to admins only).

Phases: a warm-up (camera 1 alone, not measured), the BASELINE (camera 1 alone at R fps for
--baseline-seconds), then the LOAD (all N cameras at R fps for T seconds); each ends with a
drain (results still in flight arrive). The p50 latency of the load is printed as a ratio
of the baseline's, measured in the same run on the same stack.

Latency: from the moment a frame was sent to the moment its result arrived on the dashboard
socket. Which frame a result belongs to follows from the acks: per camera one frame is in
flight; a "queued" frame is processed, a "waiting" one is processed unless the next frame's
ack says "replaced" (it took its place); a camera's snapshots are processed in order, so its
k-th result is its k-th processed frame.

Memory: RSS of the worker processes (celery main + pool) and of the server (daphne), read
from /proc every second; "after warm-up" is the value 10 s into the load (the engine and
the gallery are loaded long before), "flat" means the end is within --flat-pct of it.

    .venv/bin/pip install -r bench/requirements.txt     # websockets (the client side)
    .venv/bin/python bench/load.py                      # 8 cameras x 2 fps x 60 s
    .venv/bin/python bench/load.py --cameras 1 --fps 1 --seconds 3 --baseline-seconds 3 --json out.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
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

from load_stack import (
    LocalStack,
    MemorySampler,
    WebClient,
    replaced_counts,
)

DEFAULT_FACES = ROOT.parent / "shared" / "faces"
FIXTURES = ROOT / "tests" / "fixtures"
FRAME_SIZE = (640, 480)  # a webcam's
ACCEPTED_ACKS = ("queued", "waiting", "replaced")
WARMUP_SECONDS = 3.0
DRAIN_SECONDS = 30.0
MEMORY_WARM_AFTER = 10.0  # seconds into the load


# ---------- frames ----------


def webcam_jpeg(path: Path) -> bytes:
    """The photo letterboxed into a 640x480 frame, JPEG-encoded like a browser capture."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {path}")
    width, height = FRAME_SIZE
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(
        image, (round(image.shape[1] * scale), round(image.shape[0] * scale)), interpolation=cv2.INTER_CUBIC
    )
    frame = np.full((height, width, 3), 96, np.uint8)
    top, left = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    frame[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def photo_sets(faces: Path, people: int) -> tuple[dict[str, list[Path]], list[Path]]:
    """(name -> enrolment photos, frame photos): LFW people with 4+ photos, the first half
    enrolled (photos 1-2; photos 3-4 become frames), the second half strangers; plus the
    bbt group photos. Without the shared data set: the small photos in tests/fixtures."""
    lfw = faces / "lfw"
    if not (lfw / "lfw-names.txt").exists():
        enrol = {"Fixture Person A": [FIXTURES / "lfw_person_a_1.jpg"]}
        return enrol, [FIXTURES / n for n in ("lfw_person_a_2.jpg", "lfw_person_b_1.jpg", "bbt_group.jpg")]
    names = []
    for line in (lfw / "lfw-names.txt").read_text().splitlines():
        name, count = line.split()
        if int(count) >= 4:
            names.append(name)
    names = sorted(names)[: 2 * people]

    def photo(name: str, number: int) -> Path:
        return lfw / "images" / name / f"{name}_{number:04d}.jpg"

    enrol = {name.replace("_", " "): [photo(name, 1), photo(name, 2)] for name in names[:people]}
    frames: list[Path] = []
    for known, stranger in zip(names[:people], names[people:]):
        frames += [photo(known, 3), photo(stranger, 1), photo(known, 4), photo(stranger, 2)]
    groups = sorted((faces / "bbt").glob("bbt*.jpg"))
    for index, group in enumerate(groups):
        frames.insert(min(len(frames), (index + 1) * 6), group)
    return enrol, frames


# ---------- one run ----------


@dataclass
class Frame:
    seq: int
    phase: str
    sent_at: float
    ack: str | None = None


@dataclass
class Camera:
    id: int
    name: str
    token: str
    frames: list[Frame] = field(default_factory=list)
    results: list[tuple[float, dict]] = field(default_factory=list)  # (arrived, snapshot) from the dashboard
    camera_socket_results: int = 0
    acked: int = 0

    def processed(self) -> list[Frame]:
        """The frames whose results come back, in order (see the module docstring)."""
        accepted = [f for f in self.frames if f.ack in ACCEPTED_ACKS]
        kept = []
        for frame, following in zip(accepted, accepted[1:] + [None]):
            if frame.ack == "queued" or following is None or following.ack != "replaced":
                kept.append(frame)
        return kept


class Run:
    def __init__(self, args, client: WebClient, cameras: list[Camera], frames: list[bytes]):
        self.args, self.client, self.cameras, self.frames = args, client, cameras, frames
        self.by_id = {camera.id: camera for camera in cameras}
        self.errors: list[str] = []
        self.attendance_updates = 0
        self.sockets: dict[int, ClientConnection] = {}
        self.readers: list[asyncio.Task] = []
        self.closing = False

    def error(self, message: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(message)

    async def open(self) -> None:
        origin = self.client.origin
        dashboard = await connect(self.client.ws_url("ws/dashboard/"), origin=origin, compression=None, proxy=None,
                                  additional_headers={"Cookie": self.client.cookie_header()})  # fmt: skip
        self.readers.append(asyncio.create_task(self._read_dashboard(dashboard)))
        self.sockets[0] = dashboard
        for camera in self.cameras:
            url = self.client.ws_url(f"ws/cameras/{camera.id}/?token={camera.token}")
            socket = await connect(url, origin=origin, compression=None, proxy=None, max_size=None)
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
                event = json.loads(message)
                if event.get("type") == "attendance.update":
                    self.attendance_updates += 1
                if event.get("type") != "recognition.result":
                    continue
                snapshot = event["snapshot"]
                camera = self.by_id.get((snapshot.get("camera") or {}).get("id"))
                if camera is None:
                    continue  # another camera's (a running server has its own)
                camera.results.append((time.monotonic(), {**snapshot, "faces": len(event["faces"])}))
                if snapshot["status"] != "done":
                    self.error(
                        f"camera {camera.id}: snapshot {snapshot['id']} {snapshot['status']}: {snapshot['error']}"
                    )
        except WebSocketException as exc:
            self.error(f"dashboard socket: {type(exc).__name__}: {exc}")
        if not self.closing:
            self.error(f"dashboard socket closed by the server: {socket.close_code} {socket.close_reason}")

    async def _read_camera(self, camera: Camera, socket: ClientConnection) -> None:
        try:
            async for message in socket:
                event = json.loads(message)
                if event.get("type") == "recognition.result":
                    camera.camera_socket_results += 1
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

    async def stream(self, cameras: list[Camera], phase: str, seconds: float) -> None:
        """Every camera sends R frames a second on its own clock, offset from the others'."""
        period = 1.0 / self.args.fps
        start = time.monotonic()

        async def one(index: int, camera: Camera) -> None:
            socket = self.sockets[camera.id]
            tick = start + index * period / len(cameras)
            while tick < start + seconds:
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
                jpeg = self.frames[(camera.id * 7 + len(camera.frames)) % len(self.frames)]
                camera.frames.append(Frame(seq=len(camera.frames), phase=phase, sent_at=time.monotonic()))
                try:
                    await socket.send(jpeg)
                except WebSocketException as exc:
                    self.error(f"camera {camera.id} send: {type(exc).__name__}: {exc}")
                    return
                tick += period

        await asyncio.gather(*(one(i, camera) for i, camera in enumerate(cameras)))

    def _outstanding(self, cameras: list[Camera]) -> int:
        waiting = 0
        for camera in cameras:
            waiting += len(camera.frames) - camera.acked
            waiting += max(0, len(camera.processed()) - len(camera.results))
        return waiting

    async def drain(self, cameras: list[Camera]) -> float:
        start = time.monotonic()
        while self._outstanding(cameras) and time.monotonic() - start < DRAIN_SECONDS:
            await asyncio.sleep(0.1)
        return time.monotonic() - start

    def phase_report(self, phase: str, cameras: list[Camera], seconds: float) -> dict:
        latencies, mismatched, slowest = [], [], []
        counts = {"sent": 0, "processed": 0, "queued": 0, "waiting": 0, "replaced_acks": 0, "rate_limited": 0,
                  "rejected": 0, "unacked": 0}  # fmt: skip
        faces = 0
        for camera in cameras:
            processed = camera.processed()
            if len(processed) != len(camera.results):
                mismatched.append(
                    f"camera {camera.id}: {len(camera.results)} results for {len(processed)} processed frames"
                )
            for frame, (arrived, snapshot) in zip(processed, camera.results):
                if frame.phase == phase:
                    latencies.append(arrived - frame.sent_at)
                    slowest.append((round((arrived - frame.sent_at) * 1000, 1), camera.id, frame.seq, snapshot["id"]))
                    faces += snapshot["faces"]
                    counts["processed"] += 1
            for frame in camera.frames:
                if frame.phase != phase:
                    continue
                counts["sent"] += 1
                key = {"queued": "queued", "waiting": "waiting", "replaced": "replaced_acks",
                       "rate-limited": "rate_limited", None: "unacked"}.get(frame.ack, "rejected")  # fmt: skip
                counts[key] += 1
        counts["dropped_for_newer"] = (
            counts["waiting"] + counts["replaced_acks"] + counts["queued"] - counts["processed"]
        )
        return {
            "phase": phase, "cameras": len(cameras), "fps": self.args.fps, "seconds": seconds, **counts,
            "faces": faces, "processed_per_second": round(counts["processed"] / seconds, 2) if seconds else 0.0,
            "latency_ms": latency_summary(latencies), "mismatched": mismatched,
            "slowest": [dict(zip(("ms", "camera", "frame", "snapshot"), row)) for row in sorted(slowest)[-5:][::-1]],
        }  # fmt: skip


def latency_summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None, "mean": None}
    ms = np.array(values) * 1000
    return {"n": len(values), "p50": round(float(np.percentile(ms, 50)), 1), "p95": round(float(np.percentile(ms, 95)), 1),
            "max": round(float(ms.max()), 1), "mean": round(float(ms.mean()), 1)}  # fmt: skip


async def run_phases(
    args, client: WebClient, cameras: list[Camera], frames: list[bytes], sampler: MemorySampler
) -> dict:
    run = Run(args, client, cameras, frames)
    await run.open()
    first = cameras[:1]
    await run.stream(first, "warmup", WARMUP_SECONDS)
    await run.drain(first)
    await run.stream(first, "baseline", args.baseline_seconds)
    await run.drain(first)
    baseline = run.phase_report("baseline", first, args.baseline_seconds)
    sampler.mark("load_start")
    await run.stream(cameras, "load", args.seconds)
    sampler.mark("load_end")
    drained = await run.drain(cameras)
    sampler.mark("drained")
    await asyncio.sleep(0.5)  # stragglers: a result after the drain is still counted
    load = run.phase_report("load", cameras, args.seconds)
    await run.close()
    for camera in cameras:
        if camera.camera_socket_results != len(camera.results):
            run.error(f"camera {camera.id}: {camera.camera_socket_results} results on its own socket, "
                      f"{len(camera.results)} on the dashboard")  # fmt: skip
    for report in (baseline, load):
        run.errors += report["mismatched"]
        if report["unacked"] or report["rejected"]:
            run.error(f"{report['phase']}: {report['unacked']} frames never acked, {report['rejected']} rejected")
    return {"baseline": baseline, "load": load, "drain_seconds": round(drained, 1), "errors": run.errors,
            "attendance_updates": run.attendance_updates}  # fmt: skip


# ---------- report ----------


def print_report(summary: dict) -> None:
    b, load = summary["baseline"], summary["load"]
    print(f"\nLoad: {load['cameras']} cameras x {load['fps']:g} fps x {load['seconds']:g} s "
          f"(baseline: 1 camera x {b['fps']:g} fps x {b['seconds']:g} s, same stack, same run)")  # fmt: skip
    rows = [("frames sent", "sent"), ("frames processed (results on the dashboard)", "processed"),
            ("  acked queued", "queued"), ("  acked waiting", "waiting"), ("  acked replaced", "replaced_acks"),
            ("frames dropped for a newer one", "dropped_for_newer"), ("frames rate-limited", "rate_limited"),
            ("frames rejected / never acked", None), ("processed per second", "processed_per_second")]  # fmt: skip
    print(f"{'':46}{'baseline':>12}{'load':>12}")
    for label, key in rows:
        values = [r["rejected"] + r["unacked"] if key is None else r[key] for r in (b, load)]
        print(f"{label:46}{values[0]:>12}{values[1]:>12}")
    for stat in ("p50", "p95", "max"):
        values = [r["latency_ms"][stat] for r in (b, load)]
        print(
            f"{'latency ' + stat + ' (ms, sent -> dashboard)':46}"
            + "".join(f"{'-' if v is None else v:>12}" for v in values)
        )
    print(f"\np50 latency, load / baseline: {summary['latency_p50_ratio']}x")
    if summary.get("replaced_count") is not None:
        print(f"camera_replaced_count (Redis, whole run): {summary['replaced_count']}")
    for name, memory in summary["memory"].items():
        if memory:
            print(f"{name} RSS MiB: load start {memory['start']}, after warm-up {memory['warm']}, end {memory['end']}, "
                  f"max {memory['max']} -> {memory['growth_pct']:+.1f}% ({'flat' if memory['flat'] else 'NOT flat'})")  # fmt: skip
    print(f"errors: {len(summary['errors'])}")
    for message in summary["errors"][:20]:
        print(f"  {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--fps", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--baseline-seconds", type=float, default=15.0)
    parser.add_argument("--people", type=int, default=8, help="LFW people enrolled (as many strangers are streamed)")
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES, help="the shared faces folder (lfw/, bbt/)")
    parser.add_argument("--concurrency", type=int, default=None, help="worker processes of the started stack")
    parser.add_argument("--url", help="a running server instead of starting one, e.g. http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="")
    parser.add_argument("--flat-pct", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="write the summary here too")
    parser.add_argument("--keep", action="store_true", help="keep the started stack's data folder")
    args = parser.parse_args(argv)

    enrol, frame_paths = photo_sets(args.faces, args.people)
    frames = [webcam_jpeg(path) for path in frame_paths]
    stack = None if args.url else LocalStack(concurrency=args.concurrency, keep=args.keep)
    try:
        if stack:
            stack.start()
        client = WebClient(args.url or stack.url)
        client.login(args.user, args.password or (stack.admin_password if stack else ""))
        tag = time.strftime("%H%M%S")
        cameras = [
            Camera(id=c, name=n, token=t)
            for c, n, t in client.cameras_create([f"load-{tag}-{i + 1}" for i in range(args.cameras)])
        ]
        accepted = client.people_enrol({f"{name} {tag}": photos for name, photos in enrol.items()})
        sampler = MemorySampler(stack.pid if stack else None)
        sampler.start()
        print(f"{len(cameras)} cameras, {accepted} enrolment photos accepted, {len(frames)} distinct frames "
              f"({sum(map(len, frames)) // len(frames) // 1024} KiB each on average)", flush=True)  # fmt: skip
        summary = asyncio.run(run_phases(args, client, cameras, frames, sampler))
        sampler.stop()
        summary["memory"] = sampler.report(flat_pct=args.flat_pct, warm_after=MEMORY_WARM_AFTER)
        summary["replaced_count"] = replaced_counts(stack, [c.id for c in cameras]) if stack else None
        if stack:
            summary["errors"] += stack.log_problems()
    finally:
        if stack:
            stack.stop()
    base, load = summary["baseline"]["latency_ms"]["p50"], summary["load"]["latency_ms"]["p50"]
    summary["latency_p50_ratio"] = round(load / base, 2) if base and load else None
    summary["enrolment_photos_accepted"] = accepted
    print_report(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
