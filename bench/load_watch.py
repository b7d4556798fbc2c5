"""bench/load.py's "watched" phase: the cost of live pictures. The load again, the same footage for
the same time, while `--watch-pages` pages (dashboards of the admin's session) watch every camera
as a browser does: each socket asks for pictures (`{"type": "pictures", "watch": true}`) and
fetches each picture an overlay names. The load phase before it has no page watching (the bench's
own dashboard socket never asks), so the two phases' frames processed a second, measured in one
run on one stack, give the cost: `processed_per_second_ratio` = watched / unwatched; and, less
swayed by other work on the machine, each process group's CPU time per frame processed, watched
/ unwatched (`cpu_per_frame_ratio`)."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

SETTLE_SECONDS = 2.0  # the first pictures are made before the phase starts


class WatchingPage:
    """One browser page watching every camera: its socket, and the pictures it fetched."""

    def __init__(self, client, camera_ids: set[int]):
        self.client, self.camera_ids = client, camera_ids
        self.pictures = self.refused = self.bytes = 0
        self.fetches: set[asyncio.Task] = set()
        self.socket = self.reader = None

    async def open(self) -> None:
        self.socket = await connect(self.client.ws_url("ws/dashboard/"), origin=self.client.origin, compression=None,
                                    proxy=None, max_size=None,
                                    additional_headers={"Cookie": self.client.cookie_header()})  # fmt: skip
        await self.socket.send(json.dumps({"type": "pictures", "watch": True}))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                event = json.loads(message)
                if event.get("type") == "camera.overlay" and event.get("picture") \
                        and event["camera"]["id"] in self.camera_ids:
                    fetch = asyncio.create_task(self._fetch(event["picture"]["url"]))
                    self.fetches.add(fetch)
                    fetch.add_done_callback(self.fetches.discard)
        except WebSocketException:
            pass

    async def _fetch(self, path: str) -> None:
        response = await asyncio.to_thread(self.client.session.get, self.client.url + path, timeout=30)
        if response.status_code == 200:
            self.pictures, self.bytes = self.pictures + 1, self.bytes + len(response.content)
        else:
            self.refused += 1  # replaced by a newer picture before it was fetched

    async def close(self) -> None:
        await self.socket.close()
        await asyncio.gather(self.reader, *self.fetches, return_exceptions=True)


async def watched_phase(run, args, frame_of, drain_seconds: float, sampler) -> dict:
    """The load's frames again with args.watch_pages pages watching; frames processed a second,
    pictures fetched a second per page and their mean size."""
    pages = [WatchingPage(run.client, set(run.by_id)) for _ in range(args.watch_pages)]
    for page in pages:
        await page.open()
    await asyncio.sleep(SETTLE_SECONDS)
    started = time.time()
    fetched_before = [page.pictures for page in pages]
    sampler.mark("watched_start")
    await run.stream("watched", args.seconds, frame_of)
    sampler.mark("watched_end")
    fetched = [page.pictures - before for page, before in zip(pages, fetched_before)]
    await run.drain(drain_seconds)
    for page in pages:
        await page.close()
    processed = sum(frame.phase == "watched" for camera in run.cameras for frame, _ in camera.pairs()[0])
    pictures = sum(page.pictures for page in pages)
    return {
        "pages": len(pages), "seconds": args.seconds, "started": started,
        "processed_per_second": round(processed / args.seconds, 2),
        "pictures_per_second_per_page": round(sum(fetched) / len(pages) / args.seconds, 2) if pages else 0.0,
        "pictures_refused": sum(page.refused for page in pages),
        "picture_bytes_mean": round(sum(page.bytes for page in pages) / pictures) if pictures else None,
        "cpu_cores": sampler.cpu("watched_start", "watched_end"),
    }  # fmt: skip


def watched_cost(summary: dict) -> None:
    """Into summary["watched"]: frames processed a second and CPU per frame, watched / unwatched."""
    watched, load = summary["watched"], summary["load"]
    watched["processed_per_second_ratio"] = round(watched["processed_per_second"] / max(load["processed_per_second"], 1e-9), 3)
    per_frame = {}
    for group, cores in watched["cpu_cores"].items():
        before = summary["cpu_cores"].get(group)
        if before and load["processed_per_second"] and watched["processed_per_second"] and group != "machine":
            per_frame[group] = round((cores / watched["processed_per_second"]) / (before / load["processed_per_second"]), 2)
    watched["cpu_per_frame_ratio"] = per_frame
