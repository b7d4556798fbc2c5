"""bench/walkby.py: a quick real run on LFW walk-by sequences (alone, crossing, swapping places),
the open-set decision beside the plain track vote and frame by frame."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "walkby.py"


def test_it_reports_every_scenario_for_every_decision_rule(shared_faces, tmp_path):
    summary_path = tmp_path / "walkby.json"
    command = [sys.executable, str(BENCH), "--quick", "--lfw", str(shared_faces / "lfw"),
               "--cache", str(tmp_path / "embeddings.npz"), "--json", str(summary_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr

    summary = json.loads(summary_path.read_text())
    scenarios = summary["scenarios"]
    assert summary["enrolled"] == 40 and set(scenarios) == {"alone", "cross", "swap"}
    alone = scenarios["alone"]
    assert alone["known_walks"] == 30 and alone["stranger_walks"] == 30
    assert scenarios["cross"]["known_walks"] + scenarios["cross"]["stranger_walks"] == 20  # 10 pairs
    assert len(summary["walkers"]) == 60 + 2 * 20 and summary["leftover_tracks"] == 0
    for rates in scenarios.values():
        for method in ("open set", "track vote", "frames", "events"):
            assert set(rates[method]) >= {"right", "wrong", "unknown", "stranger_named"}
        new, old = rates["open set"], rates["track vote"]
        assert abs(new["right"] + new["wrong"] + new["unknown"] - 1.0) < 1e-9
        assert new["stranger_named"] <= old["stranger_named"] and new["wrong"] <= old["wrong"]
    assert alone["open set"]["right"] >= 0.8  # a known walker alone is named by their track
    assert alone["provisional_ids_for_strangers"]["open set"] >= 1
    walked = 8 * (60 + 2 * 10)
    assert summary["timing"]["pipeline"]["frames"] == summary["timing"]["frames"]["frames"] == walked
    assert summary["timing"]["pipeline"]["cpu_s"] > 0 and summary["timing"]["frames"]["cpu_s"] > 0
    assert "frames as events" in result.stdout and "swap:" in result.stdout
    assert "PASS:" in result.stdout or "FAIL:" in result.stdout
