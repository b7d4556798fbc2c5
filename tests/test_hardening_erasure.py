"""Erasure reaches every copy (issue 13 item 8): an erased person's (or an expired stranger's)
face leaves the group photos they shared, their name leaves the events, the stream and every
Redis key, and the embedded Valkey writes nothing biometric to its folder. Real models on the
real group photo (tests/fixtures/bbt_group.jpg), the real Valkey/Redis."""

import datetime as dt
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from faceapp.embedded_valkey import start_valkey
from faceapp.redis_client import redis_client
from identity.face_engine import get_face_engine
from identity.models import Camera, MatchLog, Person, ProvisionalIdentity
from identity.services import enrolment, live, recognition, retention
from identity.services.gallery import gallery_changed
from identity.services.realtime import DASHBOARD_GROUP
from identity.vision.image import decode_image
from integrations.events import STREAM
from integrations.models import Event
from integrations.presenters import event_json
from tests import faces_data, live_data

pytestmark = pytest.mark.django_db

GROUP = "bbt_group.jpg"
ERASED, KEPT = 0, 1  # faces of the group photo (largest first) enrolled as two people


def _face_photo(image: np.ndarray, box) -> tuple[str, bytes]:
    # The group's faces are under the enrolment minimum (64 px): a crop around one, twice as large.
    x1, y1, x2, y2 = (int(v) for v in box)
    w, h = x2 - x1, y2 - y1
    crop = image[max(0, y1 - h):y2 + h, max(0, x1 - w):x2 + w]
    return "face.jpg", faces_data.jpeg(cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC))


def _enrol(name: str, code: str, photo: tuple[str, bytes]) -> Person:
    person, samples = enrolment.person_enroll(name=name, code=code, consent=True, photos=[photo])
    for sample in samples:
        enrolment.sample_process(sample_id=sample.pk)
    return person


def _redis_blobs() -> dict[bytes, bytes]:
    """Every key of the app's Redis/Valkey with everything it holds, as one blob per key."""
    client, blobs = redis_client(), {}
    for key in client.scan_iter(count=500):
        kind = client.type(key).decode()
        if kind == "string":
            parts = [client.get(key) or b""]
        elif kind == "hash":
            parts = [b for pair in client.hgetall(key).items() for b in pair]
        elif kind == "list":
            parts = client.lrange(key, 0, -1)
        elif kind == "set":
            parts = list(client.smembers(key))
        elif kind == "zset":
            parts = client.zrange(key, 0, -1)
        elif kind == "stream":
            parts = [b for _, fields in client.xrange(key) for pair in fields.items() for b in pair]
        else:
            parts = []
        blobs[key] = key + b"\n" + b"\n".join(parts)
    return blobs


def _keys_holding(needle: bytes) -> list[bytes]:
    return [key for key, blob in _redis_blobs().items() if needle in blob]


def _stream_events() -> list[dict]:
    return [json.loads(fields[b"event"]) for _, fields in redis_client().xrange(STREAM)]


def _best_similarity(faces, embedding: np.ndarray) -> float:
    return max((float(face.embedding @ embedding) for face in faces), default=-1.0)


@pytest.fixture
def dashboard_listener(redis_server):
    """A dashboard socket that has not read yet: the pushes naming people wait in Redis for it."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(DASHBOARD_GROUP, channel)
    yield channel
    async_to_sync(layer.group_discard)(DASHBOARD_GROUP, channel)


def group_enrolled(capture_on_commit) -> SimpleNamespace:
    """Faces ERASED and KEPT of the group photo enrolled as two people (the others strangers)."""
    engine = get_face_engine()
    image = decode_image(faces_data.photo(GROUP))
    faces = engine.analyze(image)
    with capture_on_commit(execute=True):
        erased = _enrol("Sheldon Erasable", "ERASE-1", _face_photo(image, faces[ERASED].box))
        kept = _enrol("Leonard Kept", "KEEP-1", _face_photo(image, faces[KEPT].box))
        gallery_changed()
    return SimpleNamespace(engine=engine, faces=faces, erased=erased, kept=kept)


@pytest.fixture
def two_enrolled(media_root, django_capture_on_commit_callbacks):
    redis_client().delete(STREAM)  # this test's events only
    return group_enrolled(django_capture_on_commit_callbacks)


@pytest.fixture
def group_photo(two_enrolled, dashboard_listener, django_capture_on_commit_callbacks):
    """The group photo, uploaded and recognised."""
    engine, faces, erased, kept = two_enrolled.engine, two_enrolled.faces, two_enrolled.erased, two_enrolled.kept
    with django_capture_on_commit_callbacks(execute=True):
        submitted = recognition.snapshot_submit(image=(GROUP, faces_data.photo(GROUP)))
        snapshot = recognition.snapshot_recognize(snapshot_id=submitted.pk)
    assert MatchLog.objects.get(snapshot=snapshot, person=erased) and MatchLog.objects.get(snapshot=snapshot, person=kept)
    crop = MatchLog.objects.get(snapshot=snapshot, person=erased).crop.read()
    return SimpleNamespace(engine=engine, faces=faces, erased=erased, kept=kept, snapshot=snapshot,
                           path=Path(snapshot.image.path), crop=crop)


def _erase(person: Person, capture) -> None:
    with capture(execute=True):
        enrolment.person_delete(person=person)


def test_it_blacks_out_an_erased_persons_face_in_a_shared_snapshot(group_photo, django_capture_on_commit_callbacks):
    threshold = settings.FACEAPP_MATCH_THRESHOLD
    before = group_photo.path.read_bytes()

    _erase(group_photo.erased, django_capture_on_commit_callbacks)

    after = group_photo.path.read_bytes()  # the same file, rewritten
    faces = group_photo.engine.analyze(after)
    assert after != before and len(faces) == len(group_photo.faces) - 1
    assert _best_similarity(faces, group_photo.faces[ERASED].embedding) < threshold
    assert _best_similarity(faces, group_photo.faces[KEPT].embedding) >= threshold  # the others are still there
    assert list(MatchLog.objects.filter(snapshot=group_photo.snapshot, person__isnull=False)
                .values_list("person__name", flat=True)) == ["Leonard Kept"]  # fmt: skip


@pytest.fixture
def door_visits(two_enrolled, fresh_live_state, django_capture_on_commit_callbacks):
    """The group standing at a door camera for 2 s: one visit each, whose evidence frame (the
    whole frame) shows the whole group."""
    door = Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/none")
    frame, nobody = faces_data.photo(GROUP), faces_data.jpeg(np.full((383, 594, 3), 128, np.uint8))
    with django_capture_on_commit_callbacks(execute=True):
        for index in range(30):  # then 4 s of nobody: the visits end
            live.live_frame_process(camera_id=door.pk, captured_at=1_000_000.0 + 0.2 * index,
                                    jpeg=frame if index < 10 else nobody)
    assert MatchLog.objects.filter(person=two_enrolled.erased).exists()
    yield MatchLog.objects.get(person=two_enrolled.kept)
    live_data.live_keys_clear(door)


def test_it_blacks_out_an_erased_person_in_the_evidence_frames_of_other_visits(
        two_enrolled, door_visits, django_capture_on_commit_callbacks):
    _erase(two_enrolled.erased, django_capture_on_commit_callbacks)

    faces = two_enrolled.engine.analyze(Path(door_visits.snapshot.image.path).read_bytes())
    threshold = settings.FACEAPP_MATCH_THRESHOLD
    assert _best_similarity(faces, two_enrolled.faces[ERASED].embedding) < threshold
    assert _best_similarity(faces, two_enrolled.faces[KEPT].embedding) >= threshold


def test_it_leaves_no_copy_of_an_erased_persons_name_or_face_in_redis(group_photo, django_capture_on_commit_callbacks):
    face_bytes = group_photo.crop[len(group_photo.crop) // 2:][:256]  # scan data of their crop's JPEG
    assert _keys_holding(b"Sheldon Erasable")  # the stream and the waiting pushes named them

    _erase(group_photo.erased, django_capture_on_commit_callbacks)

    for needle in (b"Sheldon Erasable", b"ERASE-1", face_bytes):
        assert _keys_holding(needle) == []
    assert _keys_holding(b"Leonard Kept")  # nobody else's copies went


def test_it_deletes_the_events_naming_an_erased_person_and_their_stream_entries(
        group_photo, django_capture_on_commit_callbacks):
    person_id = group_photo.erased.pk
    visit_ids = set(MatchLog.objects.filter(person=group_photo.erased).values_list("pk", flat=True))
    assert Event.objects.filter(person_id=person_id).exists()

    _erase(group_photo.erased, django_capture_on_commit_callbacks)

    rows = [event_json(event) for event in Event.objects.all()]
    stream = _stream_events()
    for events in (rows, stream):
        assert not [e for e in events if (e["person"] or {}).get("id") == person_id or e["visit_id"] in visit_ids]
        assert "Sheldon Erasable" not in json.dumps(events) and "ERASE-1" not in json.dumps(events)
        assert [e for e in events if (e["person"] or {}).get("name") == "Leonard Kept"]


def test_it_writes_no_frame_or_name_to_the_embedded_valkeys_folder(tmp_path):
    frame = faces_data.photo(GROUP)
    valkey = start_valkey(tmp_path / "valkey.sock")  # as runstack starts it
    client = redis.Redis(unix_socket_path=str(tmp_path / "valkey.sock"))
    client.set("faceapp:live:c:1:frame", frame, ex=10)
    client.xadd(STREAM, {"event": json.dumps({"person": {"name": "Sheldon Erasable"}})})
    client.shutdown()  # a clean stop: whatever it would ever write is written now
    valkey.wait(10)

    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "valkey.log"]
    assert [p.name for p in written if frame[-4096:] in p.read_bytes() or b"Sheldon" in p.read_bytes()] == []


def test_it_deletes_the_persistence_files_an_earlier_version_left(tmp_path):
    (tmp_path / "appendonlydir").mkdir()
    (tmp_path / "appendonlydir" / "valkey.aof.1.incr.aof").write_bytes(b"SET faceapp:name Sheldon")
    (tmp_path / "dump.rdb").write_bytes(b"REDIS0011 Sheldon")

    valkey = start_valkey(tmp_path / "valkey.sock")
    valkey.kill()
    valkey.wait(10)

    assert not (tmp_path / "appendonlydir").exists() and not (tmp_path / "dump.rdb").exists()


def _strangers_expire(settings, capture) -> list[str]:
    """Retention for strangers only, run a day after they expired; their labels."""
    settings.FACEAPP_KEEP_STRANGERS_DAYS, settings.FACEAPP_KEEP_SNAPSHOTS_DAYS = 1, 0
    settings.FACEAPP_KEEP_CROPS_DAYS = 0
    labels = list(ProvisionalIdentity.objects.values_list("label", flat=True))
    with capture(execute=True):
        retention.purge_expired(now=timezone.now() + dt.timedelta(days=2))
    return labels


@pytest.fixture
def strangers_expired(group_photo, settings, django_capture_on_commit_callbacks):
    assert all(_keys_holding(label.encode()) for label in ProvisionalIdentity.objects.values_list("label", flat=True))
    labels = _strangers_expire(settings, django_capture_on_commit_callbacks)
    assert len(labels) == len(group_photo.faces) - 2
    return labels


def test_it_blacks_out_expired_strangers_in_the_snapshots_they_shared(group_photo, strangers_expired):
    faces = group_photo.engine.analyze(group_photo.path.read_bytes())

    strangers = [face for i, face in enumerate(group_photo.faces) if i not in (ERASED, KEPT)]
    assert len(faces) == 2
    assert max(_best_similarity(faces, face.embedding) for face in strangers) < settings.FACEAPP_MATCH_THRESHOLD


def test_it_forgets_expired_strangers_labels_in_events_and_redis(group_photo, strangers_expired):
    events = [event_json(event) for event in Event.objects.all()] + _stream_events()

    for label in strangers_expired:
        assert _keys_holding(label.encode()) == []
        assert not [e for e in events if e["provisional"] == label]
    assert [e for e in events if (e["person"] or {}).get("name") == "Sheldon Erasable"]  # people's events stay


def test_it_blacks_out_expired_strangers_in_the_evidence_frames_of_other_visits(
        two_enrolled, door_visits, settings, django_capture_on_commit_callbacks):
    assert len(_strangers_expire(settings, django_capture_on_commit_callbacks)) == len(two_enrolled.faces) - 2

    faces = two_enrolled.engine.analyze(Path(door_visits.snapshot.image.path).read_bytes())
    strangers = [face for i, face in enumerate(two_enrolled.faces) if i not in (ERASED, KEPT)]
    assert max(_best_similarity(faces, face.embedding) for face in strangers) < settings.FACEAPP_MATCH_THRESHOLD
    assert _best_similarity(faces, two_enrolled.faces[ERASED].embedding) >= settings.FACEAPP_MATCH_THRESHOLD
