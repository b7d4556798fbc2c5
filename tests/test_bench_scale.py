"""bench/scale.py: a small real run (a few LFW people embedded, then synthetic identities) over
both indexes, with the two worker processes' memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "scale.py"


def test_it_reports_build_search_recall_and_memory_per_size(shared_faces, tmp_path):
    summary = tmp_path / "scale.json"
    command = [sys.executable, str(BENCH), "--lfw", str(shared_faces / "lfw"), "--cache", str(tmp_path / "lfw.npz"),
               "--limit", "6", "--sizes", "3000,12000", "--probes", "40", "--json", str(summary)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr

    rows = json.loads(summary.read_text())
    assert [(r["identities"], r["index"]) for r in rows] == [(3000, "compact"), (12000, "binary")]
    for row in rows:
        assert row["recall_at_1"] >= 0.9 and row["ms_b1"] > 0 and row["matrix_ms_b32"] > 0
        assert set(row["memory"]) == {"bare", "mapped", "matrix"} and len(row["memory"]["mapped"]["pss_mb"]) == 2
    assert "Gallery search at scale" in result.stdout and "Memory of two worker processes" in result.stdout
