"""The recognition path publishes its events, on real photos and frames: a camera visit opens,
is named and ends; a stranger is seen; each face of an uploaded photo is a one-frame visit;
a person's first arrival of the day; an enrolment finished; a stream camera going offline and
coming back (a real MJPEG server, read by the real camera readers)."""

import threading

import pytest

from identity.models import Camera, MatchLog, ProvisionalIdentity
from identity.services import enrolment, live, recognition
from identity.services.readers import ReaderSupervisor
from integrations.models import Event
from tests import faces_data, live_data, streams
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_live_state")]

FRAME_SECONDS = 0.2


@pytest.fixture
def door():
    return Camera.objects.create(name="Door")


def _types(**filters) -> list[str]:
    return list(Event.objects.filter(**filters).order_by("created_at").values_list("type", flat=True))


def _walk_past(camera: Camera, name: str, frames: int, start: float = 1_000_000.0) -> None:
    """`frames` frames of `name`, then nobody until the track ends."""
    for index in range(frames + 20):
        jpeg = live_data.scene_jpeg(name if index < frames else None, x=150 + 2 * index)
        assert live.live_frame_process(camera_id=camera.pk, captured_at=start + index * FRAME_SECONDS, jpeg=jpeg)


@pytest.mark.django_db(transaction=True)  # arrivals come from attendance's worker once the visit commits
def test_it_publishes_a_camera_visit_as_it_opens_is_named_and_ends(aaron, door, empty_broker, celery_worker,
                                                                   media_root):  # noqa: F811
    _walk_past(door, "lfw_person_a_2.jpg", 8)
    wait_until(lambda: Event.objects.filter(type="person.arrived").exists(), "attendance's worker to record it")

    visit = MatchLog.objects.get()
    assert _types(camera=door, type__startswith="visit.") == ["visit.opened", "visit.named", "visit.ended"]
    assert _types(camera=door, type="person.arrived") == ["person.arrived"]
    for event in Event.objects.filter(type__startswith="visit."):
        assert (event.visit_id, event.camera, event.person, event.provisional) == (visit.pk, door, aaron, "")
        assert event.score > 0.5 and event.data["assigned_id"] == "AP" and event.data["decision"] == "known"
    assert Event.objects.get(type="visit.ended").data["frame_count"] == 8
    arrived = Event.objects.get(type="person.arrived")
    assert (arrived.person, arrived.camera, arrived.occurred_at) == (aaron, door, visit.created_at)


def test_it_publishes_a_stranger_seen_when_a_visit_opens_as_a_stranger(aaron, door, media_root):  # noqa: F811
    _walk_past(door, "lfw_person_b_1.jpg", 8)

    stranger = ProvisionalIdentity.objects.get()
    assert _types(camera=door) == ["visit.opened", "stranger.seen", "visit.ended"]
    assert set(Event.objects.filter(camera=door).values_list("provisional", flat=True)) == {stranger.label}
    assert not Event.objects.filter(camera=door, person__isnull=False).exists()


@pytest.mark.django_db(transaction=True)  # arrivals come from attendance once the visit commits
def test_it_publishes_each_face_of_an_uploaded_photo_as_a_one_frame_visit(aaron, door, media_root):  # noqa: F811
    photo = faces_data.side_by_side_jpeg("lfw_person_a_2.jpg", "lfw_person_b_1.jpg")
    snapshot = recognition.snapshot_recognize(
        snapshot_id=recognition.snapshot_submit(image=("two.jpg", photo), camera=door).pk)

    known, stranger = MatchLog.objects.filter(snapshot=snapshot).order_by("face_index")
    assert _types(visit_id=known.pk) == ["visit.opened", "visit.named"]
    assert _types(visit_id=stranger.pk) == ["visit.opened", "stranger.seen"]
    assert _types(type="person.arrived", person=aaron) == ["person.arrived"]
    seen = Event.objects.get(type="stranger.seen")
    assert (seen.provisional, seen.camera, seen.data["snapshot_id"]) == (stranger.provisional.label, door, snapshot.pk)


@pytest.mark.django_db(transaction=True)  # arrivals come from attendance once the visit commits
def test_it_publishes_a_persons_arrival_once_a_day(aaron, media_root):  # noqa: F811
    for name in ("lfw_person_a_2.jpg", "lfw_person_a_1.jpg"):
        snapshot = recognition.snapshot_submit(image=("a.jpg", faces_data.photo(name)))
        recognition.snapshot_recognize(snapshot_id=snapshot.pk)

    assert _types(type="person.arrived") == ["person.arrived"]
    assert _types(type="visit.named") == ["visit.named", "visit.named"]


def test_it_publishes_enrolment_finished_once_the_last_photo_is_decided(media_root):
    person, samples = enrolment.person_enroll(name="Bo", consent=True, photos=[
        ("a.jpg", faces_data.photo("lfw_person_a_1.jpg")), ("b.jpg", faces_data.no_face_jpeg())])

    enrolment.sample_process(sample_id=samples[0].pk)
    assert not Event.objects.filter(type="enrolment.finished").exists()
    enrolment.sample_process(sample_id=samples[1].pk)
    enrolment.sample_process(sample_id=samples[1].pk)  # a task delivered twice decides nothing more

    (finished,) = Event.objects.filter(type="enrolment.finished")
    assert finished.person == person and finished.data == {"accepted": 1, "rejected": 1, "held": 0}


@pytest.mark.django_db(transaction=True)
def test_it_publishes_a_stream_camera_going_offline_and_back(media_root):
    stop = threading.Event()
    supervisor = ReaderSupervisor()
    with streams.MjpegServer([live_data.scene(None)], fps=5) as server:
        camera = Camera.objects.create(name="Gate", kind=Camera.MJPEG, source_address=server.stream_url, fps=2)
        live_data.live_keys_clear(camera)
        thread = threading.Thread(target=supervisor.run, args=(stop,), daemon=True)
        thread.start()
        try:
            wait_until(lambda: _types(camera=camera) == ["camera.online"], "the camera to be online")
            server.stop()
            wait_until(lambda: "camera.offline" in _types(camera=camera), "the camera to go offline")
            server.start()
            wait_until(lambda: _types(camera=camera)[-1:] == ["camera.online"], "the camera to be back")
        finally:
            stop.set()
            thread.join(30)

    assert _types(camera=camera) == ["camera.online", "camera.offline", "camera.online"]
    offline = Event.objects.get(type="camera.offline")
    assert offline.data["state"] == "reconnecting" and offline.data["previous"] == "online" and offline.data["error"]
