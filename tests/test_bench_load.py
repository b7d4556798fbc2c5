"""bench/load.py: a short real run (2 cameras x 5 fps x 8 s) through the live path of the
stack it starts; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("websockets", reason="bench/load.py's client: pip install -r requirements-dev.txt")

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load.py"


def test_it_streams_frames_through_the_live_path_and_stores_visits_not_frames(tmp_path):
    summary_path = tmp_path / "load.json"
    command = [sys.executable, str(BENCH), "--cameras", "2", "--fps", "5", "--seconds", "8", "--people", "2",
               "--engine-frames", "5", "--json", str(summary_path)]  # fmt: skip
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=280)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads(summary_path.read_text())
    assert summary["errors"] == []
    load = summary["load"]
    assert load["cameras"] == 2 and load["sent"] == 80
    assert load["queued"] + load["replaced"] + load["rate_limited"] == load["sent"]
    # Overlays came back, one per frame that was not dropped for a newer one.
    assert load["processed"] >= 1 and load["lost"] == 0
    assert load["latency_ms"]["sent_to_dashboard"]["n"] == load["processed"]
    assert all(n >= 1 for n in load["processed_per_camera"])
    # What is stored is visits (one MatchLog + its evidence Snapshot each), far fewer than frames.
    measured = summary["storage"]["measured"]
    assert measured["visits"] >= 1 and measured["snapshots"] == measured["visits"]
    assert 4 * (measured["visits"] + measured["snapshots"]) <= load["processed"]
    assert summary["visits_seen"]["visits"] >= 1 and summary["visits_seen"]["still_open"] == 0
    assert summary["storage"]["every_frame"]["rows"] > summary["storage"]["live"]["rows"]
    assert summary["enrolment_photos_accepted"] >= 1
    assert summary["engine"]["frames"] == 5 and summary["engine"]["detect_embed_ms"] > 0
    for group in ("worker", "live worker", "server", "camera readers"):
        assert summary["memory"][group]["samples"] >= 1, group
    # The same load again while two pages watch every camera's live pictures (the cost, in one run).
    watched = summary["watched"]
    assert watched["pages"] == 2 and watched["processed_per_second"] > 0 and watched["processed_per_second_ratio"] > 0
    assert watched["pictures_per_second_per_page"] > 0 and watched["picture_bytes_mean"] > 0
    # /metrics, scraped before and after the load: the web server's, the live worker's counts added up.
    metrics = summary["metrics"]
    assert metrics["without_token"] == 401 and metrics["wrong_token"] == 401
    per_camera = list(metrics["per_camera"].values())
    assert sum(c["read"] for c in per_camera) == load["sent"]
    assert sum(c["processed"] for c in per_camera) == load["processed"]
    assert all(c["recognitions"] == c["overlays"] == c["processed"] >= 1 for c in per_camera)
    assert sum(c["visits_opened"] for c in per_camera) >= 1 and metrics["recognition_seconds_mean"] > 0
    assert "/metrics during the load" in result.stdout
    assert "frames processed" in result.stdout and "bare engine" in result.stdout
    assert ("PASS" in result.stdout) or ("FAIL" in result.stdout)
