"""Event delivery latency on the live path: from a visit being named to its signed webhook
arriving at a receiver, beside the dashboard's own latencies (the visit on the dashboard
socket, and each frame's overlay), in one run of `make run`'s stack.

It starts its own stack (bench/load_stack.py: `manage.py runstack` on a free port, in a
temporary FACEAPP_DATA_DIR with the embedded Valkey, the Celery worker that sends webhooks,
the live worker, the camera readers, Daphne), logs in as the admin, creates the cameras,
enrols LFW people (bench/load.py's footage: known people and strangers walk past each camera)
and adds a webhook on the Integrations page pointing at a receiver in this process
(127.0.0.1, so "allow private addresses" is ticked; the secret is read off the page, where it
is shown once). The receiver checks every signature and answers 200 at once.

Measured, for every visit named (the `visit.named` event: a visit opening as a known person,
or a stranger's visit getting a name), on one machine and one clock (time.time()):

- **webhook**: the receiver's arrival time minus the event's "time" (the capture time of the
  frame that named it: when the server put that frame in Redis);
- **dashboard visit**: the matching `visit.update` on the dashboard socket minus the same time;
- **overlay**: every frame's `camera.overlay` on the dashboard minus its capture time, and
  minus the moment the bench sent it (bench/load.py's figure).

    .venv/bin/pip install -r bench/requirements.txt     # websockets, requests (the client side)
    .venv/bin/python bench/events.py                    # 2 cameras x 5 fps x 40 s
    .venv/bin/python bench/events.py --cameras 4 --seconds 60 --json events.json
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from load import DEFAULT_FACES, Camera, Footage, Run, latency_summary, pass_frames, photo_sets  # noqa: E402
from load_stack import LocalStack, WebClient  # noqa: E402

WEBHOOK_TYPES = ["visit.opened", "visit.named", "visit.ended"]
WARMUP_DRAIN_SECONDS = 120.0
DELIVERY_WAIT_SECONDS = 60.0


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()


class Receiver:
    """The webhook receiver: verifies each signature, keeps the first arrival of each event id."""

    def __init__(self):
        self.secret = ""
        self.arrivals: dict[str, tuple[float, dict]] = {}  # event id -> (arrived, event)
        self.requests = self.unverified = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = time.time()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                receiver.take(arrived, body, self.headers)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def take(self, arrived: float, body: bytes, headers) -> None:
        timestamp = headers.get("X-Faceapp-Timestamp", "")
        signed = f"{timestamp}.".encode() + body
        expected = "sha256=" + hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        with self.lock:
            self.requests += 1
            if not hmac.compare_digest(expected, headers.get("X-Faceapp-Signature", "")):
                self.unverified += 1
                return
            event = json.loads(body)
            self.arrivals.setdefault(event["id"], (arrived, event))

    def named(self, camera_ids: set[int], since: float) -> list[tuple[float, dict]]:
        with self.lock:
            return [(arrived, event) for arrived, event in self.arrivals.values()
                    if event["type"] == "visit.named" and event["camera"] and event["camera"]["id"] in camera_ids
                    and _epoch(event["time"]) >= since]  # fmt: skip

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def webhook_add(client: WebClient, receiver: Receiver) -> int:
    """The webhook, added on the Integrations page as an admin would; its secret read off the page."""
    form = {"name": "bench receiver", "url": receiver.url, "event_types": WEBHOOK_TYPES, "identity": "any",
            "allow_private": "on", "active": "on"}  # fmt: skip
    response = client._post_form("/integrations/webhooks/", form)
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not re.search(r"/integrations/webhooks/(\d+)/", location):
        raise SystemExit(f"could not add the webhook ({response.status_code}): {response.text[:2000]}")
    page = client.session.get(client.url + location, timeout=30).text
    receiver.secret = re.search(r"data-secret>([^<]+)</code>", page).group(1)
    return int(re.search(r"/integrations/webhooks/(\d+)/", location).group(1))


async def run_phases(args, client: WebClient, cameras: list[Camera], footage: Footage, warmup: list[bytes],
                     receiver: Receiver) -> dict:  # fmt: skip
    run = Run(args, client, cameras, footage)
    await run.open()
    await run.stream("warmup", len(warmup) / args.fps, lambda camera, n: (warmup[n], None))
    await run.drain(WARMUP_DRAIN_SECONDS)
    await asyncio.sleep(args.track_timeout + 2.0)  # the warm-up's tracks end
    load_start = time.time()
    await run.stream("load", args.seconds, lambda camera, n: footage.frame(camera.index, n))
    await run.drain(30.0)
    await run.visits_end(load_start, args.track_timeout + 15.0)
    named_on_dashboard = _dashboard_named(run, load_start)
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    ids = {c.id for c in cameras}
    while len(receiver.named(ids, load_start)) < len(named_on_dashboard) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    load = run.load_report(args.seconds, load_start)
    await run.close()
    return {"load": load, "run": run, "load_start": load_start, "named_on_dashboard": named_on_dashboard}


def _naming(visit_id: int, iso: str) -> tuple[int, float]:
    """A visit's naming: its id and the moment (a visit extended by a later track is named again)."""
    return visit_id, round(_epoch(iso), 3)


def _dashboard_named(run: Run, since: float) -> dict[tuple[int, float], float]:
    """(visit id, moment) -> arrival of each dashboard visit.update that named a visit: "opened"
    as a known person, or "named" (the moments the visit.named events stand for)."""
    named = {}
    for arrived, event in run.visit_events:
        visit = event["visit"]
        if _epoch(visit["last_seen"]) < since:
            continue
        if event["event"] == "named" or (event["event"] == "opened" and visit["decision"] == "known"):
            named.setdefault(_naming(visit["id"], visit["last_seen"]), arrived)
    return named


def report(phases: dict, receiver: Receiver, cameras: list[Camera]) -> dict:
    ids = {c.id for c in cameras}
    webhooks = receiver.named(ids, phases["load_start"])
    dashboard = phases["named_on_dashboard"]
    webhook_latency = [arrived - _epoch(event["time"]) for arrived, event in webhooks]
    visit_latency = [dashboard[key] - _epoch(event["time"]) for _, event in webhooks
                     if (key := _naming(event["visit_id"], event["time"])) in dashboard]
    load = phases["load"]
    errors = list(phases["run"].errors)
    if receiver.unverified:
        errors.append(f"{receiver.unverified} webhook(s) whose signature did not verify")
    missing = set(dashboard) - {_naming(event["visit_id"], event["time"]) for _, event in webhooks}
    if missing:
        errors.append(f"{len(missing)} visit(s) named on the dashboard without a visit.named webhook: "
                      f"{sorted(missing)[:10]}")
    return {
        "cameras": len(cameras), "seconds": load["seconds"], "fps": load["fps"],
        "frames_processed": load["processed"], "namings_on_dashboard": len(dashboard), "webhooks_named": len(webhooks),
        "webhook_requests": receiver.requests,
        "latency_ms": {
            "visit named -> webhook received": latency_summary(webhook_latency),
            "visit named -> dashboard visit.update": latency_summary(visit_latency),
            "frame in Redis -> dashboard overlay": load["latency_ms"]["redis_to_dashboard"],
            "frame sent -> dashboard overlay": load["latency_ms"]["sent_to_dashboard"],
        },
        "errors": errors,
    }


def print_report(summary: dict) -> None:
    print(f"\nEvents: {summary['cameras']} cameras x {summary['fps']:g} fps x {summary['seconds']:g} s, "
          f"{summary['frames_processed']} frames processed, {summary['namings_on_dashboard']} namings of visits "
          f"on the dashboard, {summary['webhooks_named']} visit.named webhooks received "
          f"({summary['webhook_requests']} requests in all)")  # fmt: skip
    print(f"\n{'latency (ms)':42}{'n':>6}{'p50':>9}{'p95':>9}{'max':>9}")
    for label, stats in summary["latency_ms"].items():
        print(f"{label:42}{stats['n']:>6}" + "".join(f"{'-' if stats[s] is None else stats[s]:>9}"
                                                     for s in ("p50", "p95", "max")))  # fmt: skip
    print(f"\nerrors: {len(summary['errors'])}")
    for message in summary["errors"][:20]:
        print(f"  {message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=2)
    parser.add_argument("--fps", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--people", type=int, default=4, help="LFW people enrolled (as many strangers pass by)")
    parser.add_argument("--pass-frames", type=int, default=10)
    parser.add_argument("--gap-frames", type=int, default=20)
    parser.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the started stack's data folder")
    args = parser.parse_args(argv)
    args.track_timeout = 3.0  # the stack's default FACEAPP_TRACK_TIMEOUT_SECONDS

    enrol, pool, warm_passer = photo_sets(args.faces, args.people)
    footage = Footage(pool, args.cameras, args.pass_frames, args.gap_frames)
    footage.warm(args.cameras, round(args.seconds * args.fps))
    warmup = pass_frames(warm_passer.photos[0], min(args.pass_frames, 6), seed=1)
    stack, receiver = LocalStack(concurrency=None, keep=args.keep), Receiver()
    try:
        stack.start()
        client = WebClient(stack.url)
        client.login("admin", stack.admin_password)
        tag = time.strftime("%H%M%S")
        cameras = [Camera(id=c, name=n, token=t, index=i) for i, (c, n, t) in
                   enumerate(client.cameras_create([f"events-{tag}-{i + 1}" for i in range(args.cameras)]))]  # fmt: skip
        accepted = client.people_enrol({f"{name} {tag}": photos for name, photos in enrol.items()})
        webhook_add(client, receiver)
        print(f"{len(cameras)} cameras, {accepted} enrolment photos accepted, {len(pool)} people passing by, "
              f"webhook to {receiver.url}", flush=True)  # fmt: skip
        phases = asyncio.run(run_phases(args, client, cameras, footage, warmup, receiver))
        summary = report(phases, receiver, cameras)
        summary["errors"] += stack.log_problems()
    finally:
        stack.stop()
        receiver.stop()
    print_report(summary)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
