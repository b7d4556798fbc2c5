"""bench/load.py: a tiny real run (1 camera x 1 fps x 3 s) against the stack it starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("websockets", reason="bench/load.py's client: pip install -r requirements-dev.txt")

BENCH = Path(__file__).resolve().parents[1] / "bench" / "load.py"


def test_it_streams_frames_through_the_stack_and_counts_every_result(tmp_path):
    summary_path = tmp_path / "load.json"
    command = [sys.executable, str(BENCH), "--cameras", "1", "--fps", "1", "--seconds", "3",
               "--baseline-seconds", "2", "--people", "2", "--json", str(summary_path)]  # fmt: skip
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=280)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads(summary_path.read_text())
    assert summary["errors"] == []
    load = summary["load"]
    assert load["sent"] == 3 and load["cameras"] == 1
    assert load["processed"] >= 1 and load["latency_ms"]["n"] == load["processed"]
    assert load["processed"] + load["dropped_for_newer"] + load["rate_limited"] == load["sent"]
    assert summary["baseline"]["processed"] >= 1
    assert summary["enrolment_photos_accepted"] >= 1
    assert summary["memory"]["worker"]["samples"] >= 1 and summary["memory"]["server"]["samples"] >= 1
    assert "frames processed" in result.stdout and "load / baseline" in result.stdout
