"""Recognition services on real photos: known faces, strangers' provisional IDs, idempotency,
crash recovery, bad images, the upload checks, attendance and the pushed result."""

import dataclasses
import re

import cv2
import numpy as np
import pytest

from attendance.models import AttendanceRecord
from faceapp.clock import site_date
from identity.face_engine import get_face_engine
from identity.models import (
    Camera,
    MatchLog,
    ProvisionalIdentity,
    Snapshot,
    embedding_from_bytes,
    embedding_to_bytes,
)
from identity.selectors import snapshot_result
from identity.services import recognition, recognizer
from identity.vision import ImageError
from tests import faces_data

pytestmark = pytest.mark.django_db


def _embedding_of(name: str) -> np.ndarray:
    engine = get_face_engine()
    (face,) = engine.analyze(engine.load_image(faces_data.photo(name)))
    return face.embedding


def _recognise(data: bytes, camera: Camera | None = None) -> Snapshot:
    snapshot = recognition.snapshot_submit(image=("photo.jpg", data), camera=camera)
    return recognition.snapshot_recognize(snapshot_id=snapshot.pk)


def test_it_recognises_an_enrolled_person_and_marks_them_present(aaron, media_root, django_capture_on_commit_callbacks):
    camera = Camera.objects.create(name="Door")
    groups = ["dashboard", f"camera-{camera.pk}"]

    def work():
        with django_capture_on_commit_callbacks(execute=True):  # the attendance push waits for the commit
            return _recognise(faces_data.photo("lfw_person_a_2.jpg"), camera)

    events, snapshot = faces_data.events_during(groups, work)

    assert (snapshot.status, snapshot.face_count, snapshot.width, snapshot.height) == ("done", 1, 250, 250)
    log = MatchLog.objects.get(snapshot=snapshot)
    assert (log.person, log.decision, log.assigned_id) == (aaron, "known", "AP")
    assert log.similarity > 0.5 and (media_root / log.crop.name).exists()
    record = AttendanceRecord.objects.get(person=aaron, day=site_date(snapshot.received_at))
    assert (record.first_seen, record.last_seen, record.camera) == (snapshot.received_at, snapshot.received_at, camera)
    pushed = {e["type"]: e for e in events["dashboard"]}
    assert [e["type"] for e in events["dashboard"] if e["type"] in ("recognition.result", "attendance.row")] == [
        "recognition.result", "attendance.row"
    ]
    assert [e["type"] for e in events[groups[1]]] == ["recognition.result"]
    for event in (pushed["recognition.result"], events[groups[1]][0]):
        assert event["type"] == "recognition.result"
        assert event["snapshot"]["id"] == snapshot.pk and event["snapshot"]["camera"] == {"id": camera.pk, "name": "Door"}
        assert set(event["snapshot"]) == {
            "id", "camera", "received_at", "processed_at", "width", "height", "status", "error", "image_url", "url"
        }
        (face,) = event["faces"]
        assert set(face) == {
            "log_id", "face_index", "box", "decision", "too_small", "assigned_id", "label", "person", "provisional",
            "similarity", "margin", "crop_url",
        }
        assert (face["label"], face["assigned_id"], face["person"]) == (
            "Aaron Peirsol", "AP", {"id": aaron.pk, "name": "Aaron Peirsol", "code": "AP"}
        )
        assert face["crop_url"] == f"/media/logs/{log.pk}/crop" and face["provisional"] is None
    attendance = pushed["attendance.row"]["attendance"]  # only the row that moved
    assert (attendance["present"]["name"], attendance["absent"], attendance["present_count"]) == ("Aaron Peirsol", None, 1)


def test_it_gives_a_stranger_the_same_provisional_id_each_time():
    first = _recognise(faces_data.photo("lfw_person_a_1.jpg"))
    second = _recognise(faces_data.photo("lfw_person_a_2.jpg"))

    (log1,), (log2,) = MatchLog.objects.filter(snapshot=first), MatchLog.objects.filter(snapshot=second)
    stranger = ProvisionalIdentity.objects.get()
    assert stranger.label == f"U-{stranger.pk:04d}" and re.fullmatch(r"U-\d{4,}", stranger.label)
    assert log1.assigned_id == log2.assigned_id == stranger.label
    assert log1.decision == log2.decision == "unknown" and log2.provisional == stranger
    assert stranger.sightings == 2
    face = snapshot_result(snapshot=second)["faces"][0]
    assert (face["label"], face["provisional"], face["person"]) == (stranger.label, stranger.label, None)


def test_it_knows_a_stranger_that_another_process_met_without_reloading(django_capture_on_commit_callbacks):
    _recognise(faces_data.photo("lfw_person_a_1.jpg"))  # this process's recognizer holds its strangers now
    engine = get_face_engine()
    (face,) = engine.analyze(engine.load_image(faces_data.photo("lfw_person_b_1.jpg")))
    with django_capture_on_commit_callbacks(execute=True):  # what another worker commits for its new stranger
        label = recognizer.stranger_create(model_id=engine.model_id)
        ProvisionalIdentity.objects.filter(label=label).update(embeddings=embedding_to_bytes(face.embedding[None]))

    snapshot = _recognise(faces_data.photo("lfw_person_b_1.jpg"))

    assert snapshot.logs.get().assigned_id == label
    assert ProvisionalIdentity.objects.count() == 2


def test_it_pushes_the_same_result_the_api_reads_later(aaron):
    snapshot = recognition.snapshot_submit(image=("group.jpg", faces_data.photo("bbt_group.jpg")))

    events, done = faces_data.events_during(["dashboard"], lambda: recognition.snapshot_recognize(snapshot_id=snapshot.pk))

    (result,) = [e for e in events["dashboard"] if e["type"] == "recognition.result"]
    assert result == {"type": "recognition.result", **snapshot_result(snapshot=done)}


def test_it_never_gives_two_faces_of_one_frame_the_same_id(aaron):
    group = _recognise(faces_data.photo("bbt_group.jpg"))
    twice_stranger = _recognise(faces_data.side_by_side_jpeg("lfw_person_b_1.jpg", "lfw_person_b_1.jpg"))
    twice_known = _recognise(faces_data.side_by_side_jpeg("lfw_person_a_1.jpg", "lfw_person_a_2.jpg"))

    for snapshot, count in ((group, 5), (twice_stranger, 2), (twice_known, 2)):
        ids = list(MatchLog.objects.filter(snapshot=snapshot).values_list("assigned_id", flat=True))
        assert len(ids) == count and len(set(ids)) == count
    decisions = sorted(MatchLog.objects.filter(snapshot=twice_known).values_list("decision", flat=True))
    assert decisions == ["known", "unknown"]  # one Aaron per frame: the closer face keeps the name


def test_it_reports_a_face_too_small_to_name_instead_of_guessing(aaron):
    assert get_face_engine().min_name_px > 20  # the face below is under the model's name size
    snapshot = _recognise(faces_data.face_at_size_jpeg("lfw_person_a_2.jpg", 20))

    log = MatchLog.objects.get(snapshot=snapshot)
    assert (log.decision, log.person, log.provisional, log.best_person, log.assigned_id) == ("too_small", None, None,
                                                                                             None, "")
    assert log.similarity is None and log.quality["size_px"] < get_face_engine().min_name_px
    assert not ProvisionalIdentity.objects.exists()  # nor made a stranger
    [face] = snapshot_result(snapshot=snapshot)["faces"]
    assert (face["too_small"], face["label"], face["person"]) == (True, "too small to name", None)


def test_it_names_the_same_face_at_a_normal_size(aaron):
    snapshot = _recognise(faces_data.face_at_size_jpeg("lfw_person_a_2.jpg", 64))

    log = MatchLog.objects.get(snapshot=snapshot)
    assert (log.decision, log.person) == ("known", aaron)
    [face] = snapshot_result(snapshot=snapshot)["faces"]
    assert face["too_small"] is False


def test_it_names_a_small_face_when_the_name_size_is_set_lower(aaron, settings):
    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, min_name_px=16)

    snapshot = _recognise(faces_data.face_at_size_jpeg("lfw_person_a_2.jpg", 20))

    assert MatchLog.objects.get(snapshot=snapshot).person == aaron


def _class_photo(faces: list[tuple[bytes, int]]) -> bytes:
    """A 1920x1080 photo with each (photo, face px) placed in one row, LFW faces about 100 px at full size."""
    canvas = np.full((1080, 1920, 3), 110, np.uint8)
    for k, (data, size) in enumerate(faces):
        side = round(250 * size / faces_data.LFW_FACE_PX)
        image = cv2.resize(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), (side, side),
                           interpolation=cv2.INTER_AREA)
        x, y = 100 + 300 * k, 400
        canvas[y : y + side, x : x + side] = image
    return faces_data.jpeg(canvas)


def test_it_names_every_face_of_a_class_photo_large_enough_and_no_smaller_one(
    aaron, settings, django_capture_on_commit_callbacks
):
    from identity.services import enrolment

    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, min_face_px=16)  # the 20 px face found too
    e2e = faces_data.FIXTURES / "e2e"
    people = {"AP": aaron}
    for name in ("Colin_Powell", "Tony_Blair", "Donald_Rumsfeld", "Gerhard_Schroeder"):
        with django_capture_on_commit_callbacks(execute=True):
            person, (sample,) = enrolment.person_enroll(
                name=name, consent=True, photos=[("1.jpg", (e2e / f"{name}_0001.jpg").read_bytes())])
        assert enrolment.sample_process(sample_id=sample.pk).status == "accepted"
        people[name] = person
    shown = [(faces_data.photo("lfw_person_a_2.jpg"), 32)] + [
        ((e2e / f"{name}_0002.jpg").read_bytes(), size)
        for name, size in (("Colin_Powell", 36), ("Tony_Blair", 48), ("Donald_Rumsfeld", 64), ("Gerhard_Schroeder", 20))
    ]

    snapshot = _recognise(_class_photo(shown))

    logs = sorted(MatchLog.objects.filter(snapshot=snapshot).select_related("person"), key=lambda log: log.box[0])
    assert [log.person for log in logs] == [aaron, people["Colin_Powell"], people["Tony_Blair"],
                                            people["Donald_Rumsfeld"], None]
    assert [log.decision for log in logs] == ["known"] * 4 + ["too_small"]


def test_it_recognises_a_snapshot_once_even_when_the_task_comes_twice(aaron, media_root):
    snapshot = _recognise(faces_data.photo("bbt_group.jpg"))
    files = faces_data.media_files(media_root)

    again = recognition.snapshot_recognize(snapshot_id=snapshot.pk)

    assert again.status == "done" and MatchLog.objects.filter(snapshot=snapshot).count() == 5
    assert faces_data.media_files(media_root) == files


def test_it_completes_a_snapshot_whose_first_run_crashed_half_way(aaron, media_root, monkeypatch):
    snapshot = recognition.snapshot_submit(image=("g.jpg", faces_data.photo("bbt_group.jpg")))
    before = faces_data.media_files(media_root)

    def crash(**kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(recognition, "visits_opened", crash)  # after every log row was written
    with pytest.raises(RuntimeError):
        recognition.snapshot_recognize(snapshot_id=snapshot.pk)
    assert MatchLog.objects.filter(snapshot=snapshot).count() == 0
    assert faces_data.media_files(media_root) == before  # no orphaned crops
    assert Snapshot.objects.get(pk=snapshot.pk).status == "processing"
    monkeypatch.undo()

    done = recognition.snapshot_recognize(snapshot_id=snapshot.pk)

    assert (done.status, done.attempts) == ("done", 2)
    assert sorted(MatchLog.objects.filter(snapshot=snapshot).values_list("face_index", flat=True)) == [0, 1, 2, 3, 4]


def test_it_marks_an_unreadable_image_failed_with_the_reason():
    snapshot = _recognise(faces_data.truncated_jpeg())
    assert snapshot.status == "failed" and snapshot.error.startswith("unreadable image")
    assert "truncated" in snapshot.error and not snapshot.logs.exists()
    assert snapshot_result(snapshot=snapshot)["snapshot"]["error"] == snapshot.error


def test_it_says_a_photo_whose_file_is_gone_is_missing_without_its_path(media_root):
    snapshot = recognition.snapshot_submit(image=("photo.jpg", faces_data.photo("lfw_person_a_2.jpg")))
    path = snapshot.image.path
    snapshot.image.storage.delete(snapshot.image.name)

    failed = recognition.snapshot_recognize(snapshot_id=snapshot.pk)

    assert failed.error == "unreadable image: its file is missing from the media storage"
    assert str(media_root) not in failed.error and path not in failed.error


def test_it_finds_nobody_in_a_photo_without_faces():
    snapshot = _recognise(faces_data.no_face_jpeg())
    assert (snapshot.status, snapshot.face_count) == ("done", 0)
    assert snapshot_result(snapshot=snapshot)["faces"] == []


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "file is empty"),
        (b"<html>not a photo</html>", "not an image"),
        (b"\xff\xd8\xff\xe0 garbage that claims to be a JPEG", "not a readable image"),
    ],
)
def test_it_refuses_a_bad_upload_before_storing_it(data, message, media_root):
    with pytest.raises(ImageError, match=message):
        recognition.snapshot_submit(image=("x.jpg", data))
    assert Snapshot.objects.count() == 0 and faces_data.media_files(media_root) == []


def test_it_refuses_uploads_over_the_byte_and_pixel_caps(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(ImageError, match="file is too large"):
        recognition.snapshot_submit(image=("a.jpg", faces_data.photo("lfw_person_a_1.jpg")))
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000_000
    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, max_pixels=100 * 100)
    with pytest.raises(ImageError, match=r"image is too large: 300x200 = 0.1 megapixels"):
        recognition.snapshot_submit(image=("big.png", faces_data.png_bytes(300, 200)))
    assert Snapshot.objects.count() == 0


def test_it_stores_a_pending_snapshot_and_queues_it_after_commit(django_capture_on_commit_callbacks, admin_user):
    with django_capture_on_commit_callbacks() as queued:
        snapshot = recognition.snapshot_submit(image=("a.png", faces_data.png_bytes(64, 48)), user=admin_user)
    assert (snapshot.status, snapshot.width, snapshot.height, snapshot.submitted_by) == ("pending", 64, 48, admin_user)
    assert snapshot.image.name.endswith(".png") and len(queued) == 1


def test_it_waits_for_a_snapshot_until_the_timeout():
    snapshot = recognition.snapshot_submit(image=("a.jpg", faces_data.photo("lfw_person_a_1.jpg")))
    assert recognition.snapshot_wait(snapshot_id=snapshot.pk, timeout=0.3).status == "pending"
    recognition.snapshot_recognize(snapshot_id=snapshot.pk)
    assert recognition.snapshot_wait(snapshot_id=snapshot.pk, timeout=5).status == "done"


def test_it_uses_the_cameras_own_threshold(aaron):
    strict = Camera.objects.create(name="Strict", threshold=0.99)
    snapshot = _recognise(faces_data.photo("lfw_person_a_2.jpg"), strict)
    log = MatchLog.objects.get(snapshot=snapshot)
    assert (log.decision, log.threshold, log.best_person) == ("unknown", 0.99, aaron)
    assert not AttendanceRecord.objects.filter(person=aaron).exists()


def test_it_mirrors_an_uploaded_face_only_where_its_decision_is_close(settings, django_capture_on_commit_callbacks):
    settings.FACEAPP_ENGINE = dataclasses.replace(settings.FACEAPP_ENGINE, flip="adaptive")
    recognizer.recognizer_forget()
    aaron = faces_data.enrol_aaron(django_capture_on_commit_callbacks)
    sample = aaron.samples.get()
    plain = float(np.dot(_embedding_of("lfw_person_a_2.jpg"), embedding_from_bytes(sample.embedding)))

    far = _recognise(faces_data.photo("lfw_person_a_2.jpg"), Camera.objects.create(name="Far", threshold=0.05))
    close = _recognise(faces_data.photo("lfw_person_a_2.jpg"), Camera.objects.create(name="Close", threshold=plain))

    assert far.logs.get().similarity == pytest.approx(plain, abs=1e-5)  # far from 0.05: decided on the plain face
    assert close.logs.get().similarity != pytest.approx(plain, abs=1e-5)  # at its threshold: mirrored, decided again
    recognizer.recognizer_forget()
