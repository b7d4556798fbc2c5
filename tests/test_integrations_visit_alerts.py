"""One visit, one alert: a stranger who stays minutes at a camera, lost and found again by the
tracker (each new track joins the open visit), gives one `stranger.seen`, one alert and one
webhook delivery (a real Celery worker, a real receiver on 127.0.0.1). The live worker's frame
path runs in this thread on real photos, with frame times the test sets (no sleeping)."""

import datetime as dt
import time

import pytest

from identity.models import Camera, MatchLog
from identity.services import live
from integrations.models import AlertRule, Delivery, Event
from tests import live_data
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_live_state")]

STRANGER = "lfw_person_b_1.jpg"
FRAME_SECONDS = 1.0


def _show(camera: Camera, name: str | None, seconds: int, start: float) -> float:
    """One frame a second of `name` (None: nobody) for `seconds`, from time `start`."""
    for index in range(seconds):
        jpeg = live_data.scene_jpeg(name, x=150 + (index % 10))
        live.live_frame_process(camera_id=camera.pk, captured_at=start, jpeg=jpeg)
        start += FRAME_SECONDS
    return start


def test_it_sends_one_stranger_seen_one_alert_and_one_webhook_for_a_three_minute_visit(
        aaron, media_root, settings, celery_worker, receiver):
    settings.FACEAPP_TRACK_TIMEOUT_SECONDS = 3.0
    door = Camera.objects.create(name="Door", kind=Camera.RTSP, source_address="rtsp://127.0.0.1:9/none")
    AlertRule.objects.create(name="Stranger at the door", kind=AlertRule.STRANGER_AT, camera=door,
                             start_time=dt.time(0), end_time=dt.time(0), cooldown_minutes=0)
    destination = destination_for(receiver, event_types=[Event.STRANGER_SEEN])

    at = time.time() - 400
    for _ in range(6):  # 6 x (25 s seen, 5 s turned away: the track ends, the next one joins the visit)
        at = _show(door, STRANGER, 25, at)
        at = _show(door, None, 5, at)

    (visit,) = MatchLog.objects.all()
    assert visit.decision == "unknown" and (visit.last_seen - visit.created_at).total_seconds() > 170
    ended = Event.objects.filter(type=Event.VISIT_ENDED, visit_id=visit.pk).count()
    assert ended == 6  # six tracks, each joined the one visit
    assert Event.objects.filter(type=Event.STRANGER_SEEN).count() == 1
    assert Event.objects.filter(type=Event.VISIT_OPENED).count() == 1
    (alert,) = Event.objects.filter(type=Event.ALERT)
    assert alert.data["message"] == f"Stranger {visit.assigned_id} at Door"
    (delivery,) = Delivery.objects.all()
    delivery = wait_until(lambda: Delivery.objects.exclude(status=Delivery.PENDING).filter(pk=delivery.pk).first(),
                          "the delivery")
    assert delivery.status == Delivery.DELIVERED and delivery.destination == destination
    (body,) = receiver.unique.values()
    assert (body["type"], body["visit_id"], body["provisional"]) == ("stranger.seen", visit.pk, visit.assigned_id)
