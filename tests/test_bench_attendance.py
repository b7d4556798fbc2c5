"""bench/attendance.py: two small real runs (their own database and Valkey) report every figure,
and one visit's attendance update costs the same queries with ten times the people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "attendance.py"


def _run(tmp_path: Path, people: int, groups: int) -> dict:
    summary = tmp_path / f"attendance-{people}.json"
    env = {key: value for key, value in os.environ.items() if key not in ("FACEAPP_DATA_DIR", "DATABASE_URL")}
    env["FACEAPP_DATA_DIR"] = str(tmp_path / f"data-{people}")  # its own SQLite file and embedded Valkey
    command = [sys.executable, str(BENCH), "--people", str(people), "--groups", str(groups), "--days", "3",
               "--repeat", "2", "--json", str(summary)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(summary.read_text())


def test_it_reports_each_figure_and_a_visit_costs_the_same_queries_with_more_people(tmp_path):
    few, many = _run(tmp_path, 20, 2), _run(tmp_path, 200, 2)

    for report in (few, many):
        assert set(report) >= {"visit_update", "month_sheet", "summary_all_groups", "full_day_recompute"}
        assert report["month_sheet"]["queries"] <= 3 and report["summary_all_groups"]["queries"] == 1
    assert few["visit_update"]["queries"] == many["visit_update"]["queries"]
    assert many["month_sheet"]["people"] == 100
