"""The logged faces' index behind search by photo (identity.services.logged_faces), on real
photos, the real face models and the real database: one file per version, built once and reused
while faces are logged (the delta answers them), rebuilt when the delta is full, never answering
a face that retention purged or erasure deleted, and the sign-bit index above its threshold."""

import datetime as dt

import pytest
from django.utils import timezone

from identity.face_engine import get_face_engine
from identity.matching.logged_index import LoggedIndex
from identity.matching.search_index import BINARY, COMPACT
from identity.models import Camera, MatchLog, Person
from identity.services import logged_faces, recognition, retention
from identity.services.erasure import person_erase
from identity.services.index_files import index_folder
from identity.vision.image import decode_image
from tests import faces_data

E2E = faces_data.FIXTURES / "e2e"
SEEN = ("Colin_Powell_0001", "Tony_Blair_0001", "Donald_Rumsfeld_0001")


@pytest.fixture(autouse=True)
def no_index_yet():
    """Each test starts without a logged-face file or a process's copy of one (test databases reuse ids)."""
    logged_faces.logged_faces_forget()
    logged_faces.logged_files_remove()
    yield
    logged_faces.logged_faces_forget()


@pytest.fixture
def door(media_root):
    return Camera.objects.create(name="Door")


def _seen(door, name: str) -> MatchLog:
    snapshot = recognition.snapshot_submit(image=(f"{name}.jpg", (E2E / f"{name}.jpg").read_bytes()), camera=door)
    return recognition.snapshot_recognize(snapshot_id=snapshot.pk).logs.get()


@pytest.fixture
def seen_at_the_door(door):
    """Colin Powell, Tony Blair and Donald Rumsfeld, each seen once by the door camera (not enrolled)."""
    return {name: _seen(door, name) for name in SEEN}


def _like(name: str) -> list[int]:
    engine = get_face_engine()
    (face,) = engine.analyze(decode_image((E2E / f"{name}.jpg").read_bytes()), max_faces=1)
    return [log_id for log_id, _ in logged_faces.logged_faces_top(embedding=face.embedding, model_id=engine.model_id,
                                                                   limit=20)]


def _files() -> list[tuple[str, int]]:
    return sorted((path.name, path.stat().st_ino) for path in index_folder().glob("logs-*.faces"))


@pytest.mark.django_db
def test_it_builds_the_file_once_and_answers_a_face_logged_since_from_the_delta(seen_at_the_door, door):
    assert _like("Colin_Powell_0002")[0] == seen_at_the_door["Colin_Powell_0001"].pk
    built = _files()

    schroeder = _seen(door, "Gerhard_Schroeder_0001")

    assert _like("Gerhard_Schroeder_0002")[0] == schroeder.pk
    assert len(built) == 1 and _files() == built


@pytest.mark.django_db
def test_it_maps_the_file_another_process_built(seen_at_the_door):
    _like("Colin_Powell_0002")
    built = _files()
    logged_faces.logged_faces_forget()  # as a second worker process would start

    assert _like("Tony_Blair_0002")[0] == seen_at_the_door["Tony_Blair_0001"].pk
    assert _files() == built


@pytest.mark.django_db
def test_it_answers_a_face_committed_late_below_the_files_highest_id(seen_at_the_door):
    blair = seen_at_the_door["Tony_Blair_0001"]
    embedding = bytes(blair.embedding)
    MatchLog.objects.filter(pk=blair.pk).update(embedding=b"")  # not committed yet when the file is built
    assert blair.pk not in _like("Tony_Blair_0002")
    built = _files()

    MatchLog.objects.filter(pk=blair.pk).update(embedding=embedding)

    assert _like("Tony_Blair_0002")[0] == blair.pk and _files() == built


@pytest.mark.django_db
def test_it_rebuilds_the_file_when_the_delta_passes_its_limit(seen_at_the_door, door, monkeypatch):
    _like("Colin_Powell_0002")
    built = _files()
    monkeypatch.setattr(logged_faces, "DELTA_LIMIT", 0)

    schroeder = _seen(door, "Gerhard_Schroeder_0001")

    assert _like("Gerhard_Schroeder_0002")[0] == schroeder.pk
    (rebuilt,) = _files()
    assert rebuilt != built[0] and len(LoggedIndex.open(index_folder() / rebuilt[0])) == 4


@pytest.mark.django_db
def test_it_never_answers_a_face_retention_purged(seen_at_the_door, settings, django_capture_on_commit_callbacks):
    powell = seen_at_the_door["Colin_Powell_0001"]
    assert _like("Colin_Powell_0002")[0] == powell.pk
    MatchLog.objects.filter(pk=powell.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    settings.FACEAPP_KEEP_CROPS_DAYS = 2

    with django_capture_on_commit_callbacks(execute=True):
        retention.purge_expired()

    assert _files() == []  # its embedding left the disk at once
    assert powell.pk not in _like("Colin_Powell_0002")
    assert set(_like("Tony_Blair_0002")) == {seen_at_the_door[name].pk for name in SEEN[1:]}


@pytest.mark.django_db
def test_it_never_answers_an_erased_face(seen_at_the_door, django_capture_on_commit_callbacks):
    powell = seen_at_the_door["Colin_Powell_0001"]
    assert _like("Colin_Powell_0002")[0] == powell.pk
    person = Person.objects.create(name="Colin Powell")
    MatchLog.objects.filter(pk=powell.pk).update(reviewed_person=person)  # a reviewer named the face

    with django_capture_on_commit_callbacks(execute=True):
        person_erase(person=person)

    assert _files() == []
    assert powell.pk not in _like("Colin_Powell_0002")


@pytest.mark.django_db
def test_it_never_answers_a_face_removed_while_its_file_is_current(seen_at_the_door):
    powell = seen_at_the_door["Colin_Powell_0001"]
    _like("Colin_Powell_0002")

    MatchLog.objects.filter(pk=powell.pk).update(embedding=b"")  # by no service: nothing deletes the file

    assert powell.pk not in _like("Colin_Powell_0002")


@pytest.mark.django_db
def test_it_switches_a_base_past_the_threshold_to_the_sign_bit_index(seen_at_the_door, monkeypatch):
    monkeypatch.setattr(logged_faces, "BINARY_ABOVE", 2)

    assert _like("Colin_Powell_0002")[0] == seen_at_the_door["Colin_Powell_0001"].pk
    ((name, _),) = _files()
    assert LoggedIndex.open(index_folder() / name).index.kind == BINARY


@pytest.mark.django_db
def test_it_keeps_the_exact_index_up_to_the_threshold(seen_at_the_door):
    _like("Colin_Powell_0002")

    ((name, _),) = _files()
    assert LoggedIndex.open(index_folder() / name).index.kind == COMPACT
