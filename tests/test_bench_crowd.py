"""bench/crowd.py: a quick real run on class photos composed from LFW, one face width under the
name size and one over it, today's single pass beside the tiles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "crowd.py"


def test_it_reports_faces_found_named_and_too_small_per_width_and_detector(shared_faces, tmp_path):
    summary_path = tmp_path / "crowd.json"
    command = [sys.executable, str(BENCH), "--people", "40", "--photos", "1", "--faces", "8", "--widths", "20,64",
               "--tiles", "16", "--lfw", str(shared_faces / "lfw"), "--cache", str(tmp_path / "embeddings.npz"),
               "--json", str(summary_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr

    summary = json.loads(summary_path.read_text())
    rows = {(row["width"], row["min_face_px"]): row for row in summary["rows"]}
    assert set(rows) == {(20, 0), (20, 16), (64, 0), (64, 16)} and summary["enrolled"] == 40
    assert 20 < summary["min_name_px"] < 64
    small, large = rows[(20, 16)], rows[(64, 0)]
    assert small["recall"] > rows[(20, 0)]["recall"]  # the tiles find the faces the single pass loses
    assert small["too_small"] == small["recall"] > 0 and small["right"] == small["wrong"] == 0  # none named
    assert large["recall"] == 1.0 and large["too_small"] == 0 and large["right"] > 0.5
    assert all(row["ms_per_photo"] > 0 and row["faces"] == 8 for row in rows.values())
    assert "too small %" in result.stdout
