"""bench/identify.py: a small real run on LFW (a few people), then a rerun from the cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "identify.py"


def run_bench(shared_faces: Path, tmp_path: Path, *args: str) -> str:
    command = [sys.executable, str(BENCH), "--lfw", str(shared_faces / "lfw"), "--limit", "6",
               "--cache", str(tmp_path / "embeddings.npz"), "--sizes", "200,500", "--repeats", "3", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_it_reports_open_set_rates_and_search_times(shared_faces, tmp_path):
    summary_path = tmp_path / "summary.json"
    output = run_bench(shared_faces, tmp_path, "--json", str(summary_path))

    summary = json.loads(summary_path.read_text())
    assert summary["enrolled"] == 6 and summary["strangers"] == 6 and summary["known_probes"] > 6
    default = summary["headline"][0]
    assert default["threshold"] == summary["default_threshold"] and default["margin"] == 0.05
    assert default["rank1"] >= 0.9 and default["dir"] <= default["rank1"]
    assert [row["enrolled"] for row in summary["search"]] == [200, 500]
    assert summary["search"][1]["random"] == 500 - summary["search"][1]["lfw"]
    assert summary["baseline"]["same_answers"] is True
    assert "embedding" in output and "Threshold sweep" in output and "naive per-person Python loop" in output


def test_it_reuses_cached_embeddings(shared_faces, tmp_path):
    run_bench(shared_faces, tmp_path)
    output = run_bench(shared_faces, tmp_path)
    assert "embedding " not in output.split("At the default")[0]
    assert "DIR %" in output
