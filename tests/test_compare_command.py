"""``manage.py compare``: the thin command over FaceEngine.verify."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

FIXTURES = Path(__file__).parent / "fixtures"
A1, A2, B1 = FIXTURES / "lfw_person_a_1.jpg", FIXTURES / "lfw_person_a_2.jpg", FIXTURES / "lfw_person_b_1.jpg"
GROUP = FIXTURES / "bbt_group.jpg"


def run_compare(*args: object) -> str:
    out = StringIO()
    call_command("compare", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def test_it_says_same_person():
    output = run_compare(A1, A2)
    assert output.strip().endswith("same person")
    assert "similarity:" in output


def test_it_says_different_people():
    assert run_compare(A1, B1).strip().endswith("different people")


def test_it_decides_by_the_threshold_option():
    assert run_compare(A1, B1, "--threshold", "-1").strip().endswith("same person")
    assert run_compare(A1, A2, "--threshold", "0.999").strip().endswith("different people")


def test_it_writes_json_with_flip():
    payload = json.loads(run_compare(A1, A2, "--json", "--flip"))
    assert payload["same"] is True and payload["verdict"] == "same person"
    assert payload["model_id"] == "w600k_mbf+flip" and 0 < payload["similarity"] <= 1


def test_it_uses_the_largest_of_several_faces_and_says_so():
    output = run_compare(GROUP, A1)
    assert "note: several faces in image 1 (5): used the largest" in output


def test_it_names_an_unreadable_file(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    with pytest.raises(CommandError, match="not an image"):
        run_compare(text, A1)
    with pytest.raises(CommandError, match="file not found"):
        run_compare(A1, tmp_path / "missing.jpg")


def test_it_says_when_a_photo_has_no_face(tmp_path):
    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((300, 400, 3), 180, dtype=np.uint8)).save(blank)
    with pytest.raises(CommandError, match=r"no face found in image 2 \(.*wall.png\)"):
        run_compare(A1, blank)


WILLIAMS = FIXTURES / "williams"


def test_it_says_too_close_to_call_for_venus_and_serena_williams():
    output = run_compare(WILLIAMS / "Venus_Williams_0003.jpg", WILLIAMS / "Serena_Williams_0003.jpg")
    assert output.strip().splitlines()[-1].startswith("too close to call: within 0.07 of the threshold")


def test_it_writes_a_close_answer_and_its_limits_as_json():
    payload = json.loads(run_compare(WILLIAMS / "Venus_Williams_0003.jpg", WILLIAMS / "Serena_Williams_0003.jpg",
                                     "--json"))
    assert payload["verdict"] == "too close to call" and payload["close"] is True
    assert payload["mirrored"] is True and payload["limits"] == []


def test_it_compares_plain_when_asked():
    payload = json.loads(run_compare(WILLIAMS / "Venus_Williams_0003.jpg", WILLIAMS / "Serena_Williams_0003.jpg",
                                     "--json", "--plain"))
    assert payload["mirrored"] is False and payload["model_id"] == "w600k_mbf" and payload["close"] is True
