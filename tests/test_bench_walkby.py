"""bench/walkby.py: a quick real run on LFW walk-by sequences, tracks vs. frame by frame."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "walkby.py"


def test_it_votes_over_tracks_no_worse_than_frame_by_frame(shared_faces, tmp_path):
    summary_path = tmp_path / "walkby.json"
    command = [sys.executable, str(BENCH), "--quick", "--lfw", str(shared_faces / "lfw"),
               "--cache", str(tmp_path / "embeddings.npz"), "--json", str(summary_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr

    summary = json.loads(summary_path.read_text())
    assert summary["enrolled"] == 40 and summary["known_walks"] == 30 and summary["stranger_walks"] == 30
    assert len(summary["walks"]) == 60 and summary["leftover_tracks"] == 0
    for method in ("track", "frames", "events"):
        assert set(summary[method]) >= {"right", "wrong", "unknown", "stranger_named"}
    track, events = summary["track"], summary["events"]
    assert abs(track["right"] + track["wrong"] + track["unknown"] - 1.0) < 1e-9
    assert track["right"] >= 0.8  # a known walker is named by their track
    assert track["wrong"] <= events["wrong"]
    assert track["stranger_named"] <= events["stranger_named"]
    assert summary["provisional_ids_for_strangers"]["track"] >= 1
    assert summary["timing"]["pipeline"]["frames"] == summary["timing"]["frames"]["frames"] == 60 * 8
    assert summary["timing"]["pipeline"]["cpu_s"] > 0 and summary["timing"]["frames"]["cpu_s"] > 0
    assert "frames as events" in result.stdout and ("PASS:" in result.stdout or "FAIL:" in result.stdout)
