"""bench/log_search.py: a small real run (a few LFW people embedded, then synthetic faces), the old
per-process matrix against the new file, with the two worker processes' memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "log_search.py"


def test_it_reports_search_time_recall_and_memory_old_and_new(shared_faces, tmp_path):
    summary = tmp_path / "logs.json"
    command = [sys.executable, str(BENCH), "--lfw", str(shared_faces / "lfw"), "--cache", str(tmp_path / "lfw.npz"),
               "--limit", "6", "--sizes", "3000,12000", "--probes", "30", "--json", str(summary)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    rows = json.loads(summary.read_text())
    assert [(r["logged"], r["index"]) for r in rows] == [(3000, "compact"), (12000, "binary")]
    assert rows[0]["recall_at_20"] == 1.0 and rows[1]["close_recall"] >= 0.95
    for row in rows:
        assert row["old_ms"] > 0 and row["new_ms"] > 0 and set(row["memory"]) == {"bare", "new", "old"}
        assert len(row["memory"]["new"]["pss_mb"]) == 2
    assert "Search by photo" in result.stdout and "Memory of two worker processes" in result.stdout
