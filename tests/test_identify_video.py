"""``manage.py identify_video``: the worker's ID assignment over the frames of a video."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import cv2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from identity.face_engine import get_face_engine
from identity.models import FaceSample, Person, embedding_to_bytes
from tests import live_data, streams
from tests.faces_data import FIXTURES

# LFW photos with one clear face each; these three people are far apart for the default model.
ENROLLED, STRANGER_1, STRANGER_2 = "Colin_Powell", "Gerhard_Schroeder", "Donald_Rumsfeld"
VIDEO_PHOTOS = (1, 2, 3, 4)  # shown in the video
ENROLMENT_PHOTOS = (5, 6)  # other photos of the enrolled person: the video is not what was enrolled
FRAMES_PER_PHOTO = 2


def lfw_photo(shared_faces: Path, name: str, number: int) -> Path:
    return shared_faces / "lfw" / "images" / name / f"{name}_{number:04d}.jpg"


def write_video(path: Path, photos: list[Path], fps: float = 8.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (250, 250))
    assert writer.isOpened()
    for photo in photos:
        image = cv2.resize(cv2.imread(str(photo)), (250, 250))
        for _ in range(FRAMES_PER_PHOTO):
            writer.write(image)
    writer.release()


def run_identify_video(*args: object) -> str:
    out = StringIO()
    call_command("identify_video", *[str(a) for a in args], stdout=out)
    return out.getvalue()


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def three_people_video(shared_faces, tmp_path) -> tuple[Path, list[str]]:
    """24 frames: A,A,B,B,C,C with a different photo of each person every round."""
    order = [(name, number) for number in VIDEO_PHOTOS for name in (ENROLLED, STRANGER_1, STRANGER_2)]
    video = tmp_path / "three_people.mp4"
    write_video(video, [lfw_photo(shared_faces, name, number) for name, number in order])
    frame_people = [name for name, _ in order for _ in range(FRAMES_PER_PHOTO)]
    return video, frame_people


def enrol(shared_faces: Path, name: str, code: str) -> Person:
    return enrol_photos(name, code, [lfw_photo(shared_faces, name, number) for number in ENROLMENT_PHOTOS])


def enrol_photos(name: str, code: str, photos: list[Path]) -> Person:
    engine = get_face_engine()
    person = Person.objects.create(name=name.replace("_", " "), code=code)
    for photo in photos:
        face = engine.analyze(photo)[0]
        FaceSample.objects.create(
            person=person, embedding=embedding_to_bytes(face.embedding), model_id=engine.model_id,
            status=FaceSample.ACCEPTED, quality=face.quality.as_dict(),
        )
    return person


@pytest.mark.django_db
def test_it_gives_one_stable_id_per_person(shared_faces, three_people_video, tmp_path):
    video, frame_people = three_people_video
    person = enrol(shared_faces, ENROLLED, "EMP-7")
    out_csv, out_video = tmp_path / "faces.csv", tmp_path / "annotated.mp4"

    output = run_identify_video(video, "--csv", out_csv, "--out", out_video)

    rows = read_rows(out_csv)
    assert [int(r["frame"]) for r in rows] == list(range(len(frame_people)))  # one face per frame
    ids_of = {name: {r["id"] for r, who in zip(rows, frame_people) if who == name} for name in set(frame_people)}
    assert ids_of[ENROLLED] == {"EMP-7"}
    enrolled_rows = [r for r, who in zip(rows, frame_people) if who == ENROLLED]
    assert {(r["label"], r["decision"]) for r in enrolled_rows} == {(person.name, "known")}
    assert len(ids_of[STRANGER_1]) == 1 and len(ids_of[STRANGER_2]) == 1
    assert ids_of[STRANGER_1] != ids_of[STRANGER_2]
    assert ids_of[STRANGER_1] | ids_of[STRANGER_2] == {"S-1", "S-2"}
    assert all(r["decision"] == "unknown" and r["label"] == r["id"] for r in rows if r["id"].startswith("S-"))
    assert "frames: 24 (24 analysed), faces: 24" in output
    assert "IDs seen: 3" in output and "EMP-7" in output and "Colin Powell" in output
    assert {r["track"] for r in rows} and all(r["track"] for r in rows)

    annotated = cv2.VideoCapture(str(out_video))
    assert int(annotated.get(cv2.CAP_PROP_FRAME_COUNT)) == len(frame_people)
    annotated.release()


@pytest.mark.django_db
def test_it_is_deterministic_and_every_n_analyses_fewer_frames(shared_faces, three_people_video, tmp_path):
    video, frame_people = three_people_video
    enrol(shared_faces, ENROLLED, "EMP-7")
    first, second, sparse = tmp_path / "1.csv", tmp_path / "2.csv", tmp_path / "every3.csv"
    run_identify_video(video, "--csv", first)
    run_identify_video(video, "--csv", second)
    output = run_identify_video(video, "--csv", sparse, "--every", "3")

    assert read_rows(first) == read_rows(second)
    sparse_rows = read_rows(sparse)
    assert [int(r["frame"]) for r in sparse_rows] == list(range(0, len(frame_people), 3))
    assert "frames: 24 (8 analysed), faces: 8" in output


@pytest.mark.django_db
def test_it_names_nobody_when_nobody_is_enrolled(shared_faces, three_people_video, tmp_path):
    video, frame_people = three_people_video
    out_csv = tmp_path / "faces.csv"
    output = run_identify_video(video, "--csv", out_csv)

    rows = read_rows(out_csv)
    assert {r["decision"] for r in rows} == {"unknown"}
    ids = [r["id"] for r in rows]
    # Each person keeps the stranger ID first given to them.
    assert {name: {i for i, who in zip(ids, frame_people) if who == name} for name in set(frame_people)} == {
        ENROLLED: {"S-1"}, STRANGER_1: {"S-2"}, STRANGER_2: {"S-3"},
    }
    assert "IDs seen: 3" in output


@pytest.mark.django_db
def test_it_rejects_an_unreadable_video(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(CommandError, match="cannot read video .*notes.mp4"):
        run_identify_video(text)
    with pytest.raises(CommandError, match="file not found"):
        run_identify_video(tmp_path / "missing.mp4")
    with pytest.raises(CommandError, match="--every must be 1 or more"):
        run_identify_video(text, "--every", "0")


@pytest.mark.django_db
def test_it_writes_one_row_per_visit(shared_faces, three_people_video, tmp_path):
    video, frame_people = three_people_video
    enrol(shared_faces, ENROLLED, "EMP-7")
    faces_csv, visits_csv = tmp_path / "faces.csv", tmp_path / "visits.csv"
    run_identify_video(video, "--csv", faces_csv, "--visits", visits_csv)

    faces, visits = read_rows(faces_csv), read_rows(visits_csv)
    assert sum(int(v["frames"]) for v in visits) == len(faces) == len(frame_people)
    for visit in visits:  # each face row carries its visit's decided ID
        assert {r["id"] for r in faces if r["track"] == visit["track"]} == {visit["id"]}
    assert {v["id"] for v in visits} == {"EMP-7", "S-1", "S-2"}


@pytest.mark.django_db
def test_it_uses_the_identification_threshold_by_default(shared_faces, three_people_video, settings):
    settings.FACEAPP_MATCH_THRESHOLD = 0.99  # nobody is that close: the 1:N default is what is used
    video, _ = three_people_video
    enrol(shared_faces, ENROLLED, "EMP-7")
    output = run_identify_video(video)
    assert "threshold 0.990" in output and "EMP-7" not in output


SWAP_EACH, SWAP_FPS, SWAP_BLURRED = 6, 5, 3


@pytest.mark.django_db
@pytest.mark.parametrize("gap", [0, 3], ids=["hard cut", "walk-out walk-in"])
def test_it_never_names_the_man_who_takes_another_mans_place(gap, tmp_path):
    """Aaron Peirsol (enrolled from another photo), then at the same place George W. Bush (a
    stranger): straight after him, or 0.6 s after he walked out (the track timeout is 3 s); Bush's
    first frames too blurred to vote."""
    enrol_photos("Aaron Peirsol", "AP", [FIXTURES / "lfw_person_a_1.jpg"])
    frames = live_data.swap_frames("lfw_person_a_2.jpg", "lfw_person_b_1.jpg", each=SWAP_EACH, gap=gap,
                                   blurred=SWAP_BLURRED)
    video = streams.write_video(tmp_path / "swap.mp4", frames, fps=SWAP_FPS)
    faces_csv, visits_csv = tmp_path / "faces.csv", tmp_path / "visits.csv"
    run_identify_video(video, "--csv", faces_csv, "--visits", visits_csv)

    rows, visits = read_rows(faces_csv), read_rows(visits_csv)
    aaron = [r for r in rows if int(r["frame"]) < SWAP_EACH]
    bush = [r for r in rows if int(r["frame"]) >= SWAP_EACH + gap]
    assert len(aaron) == len(bush) == SWAP_EACH and len(rows) == 2 * SWAP_EACH
    assert {(r["id"], r["decision"]) for r in aaron} == {("AP", "known")}
    assert {r["named_by"] for r in aaron} <= {"face", "track"} and "face" in {r["named_by"] for r in aaron}
    assert {(r["decision"], r["named_by"]) for r in bush} == {("unknown", "")}  # no frame of his named
    assert len({r["track"] for r in aaron}) == len({r["track"] for r in bush}) == 1
    assert {r["track"] for r in aaron} != {r["track"] for r in bush}
    assert sorted(v["decision"] for v in visits) == ["known", "unknown"]
