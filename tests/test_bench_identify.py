"""bench/identify.py: a small real run on LFW (a few people), then a rerun from the cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "identify.py"


def run_bench(shared_faces: Path, tmp_path: Path, *args: str, flip: str = "plain") -> str:
    command = [sys.executable, str(BENCH), "--lfw", str(shared_faces / "lfw"), "--limit", "6",
               "--cache", str(tmp_path / "embeddings.npz"), "--sizes", "200,500", "--repeats", "3", *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "FACEAPP_FLIP": flip})
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


def test_it_reports_adaptive_beside_plain_and_flip_from_one_embedding_pass(shared_faces, tmp_path):
    summary_path = tmp_path / "summary.json"
    output = run_bench(shared_faces, tmp_path, "--json", str(summary_path), "--time-probes", "8", flip="adaptive")

    assert "with w600k_mbf and w600k_mbf+flip" in output  # plain and mirrored in one pass, both cached
    summary = json.loads(summary_path.read_text())
    modes = summary["modes"]
    assert set(modes) == {"plain", "flip", "adaptive"}
    for rows in modes.values():
        assert [r["margin"] for r in rows] == [0.05, 0.0] and rows[0]["threshold"] == summary["default_threshold"]
    assert summary["headline"] == modes["adaptive"]  # the headline is the configured mode's
    assert 0.0 <= modes["adaptive"][0]["mirrored"] <= 1.0 and modes["plain"][0]["mirrored"] == 0.0
    timing = summary["time_per_face"]
    assert timing["photos"] == 8 and timing["plain_ms_per_face"] > 0 and timing["adaptive_ms_per_face"] > 0
    assert "Flip modes at the default threshold" in output and "Time per face, photo to decision" in output

    again = run_bench(shared_faces, tmp_path, "--time-probes", "0", flip="flip")
    assert "embedding " not in again.split("At the default")[0]  # flip mode reuses the mirrored pass
