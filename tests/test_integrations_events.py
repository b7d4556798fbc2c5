"""The event publisher: one row per event with a stable id, and once the caller's transaction
commits, the Redis stream entry (and the dashboards' push, for an alert), in the one JSON shape (the
site's time zone); nothing before the commit, nothing lost to the caller when Redis is away."""

import datetime as dt
import json
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from faceapp.redis_client import redis_client
from integrations.events import STREAM, event_publish
from integrations.models import Event
from integrations.presenters import event_json
from tests import faces_data, review_data

pytestmark = pytest.mark.django_db


def _stream_ids() -> list[str]:
    return [json.loads(fields[b"event"])["id"] for _, fields in redis_client().xrange(STREAM)]


@pytest.fixture
def door():
    return review_data.make_camera("Door")


@pytest.fixture
def ada():
    return review_data.make_person("Ada", code="A1", with_sample=False)


def test_it_appends_the_event_to_the_stream_once_committed_and_leaves_the_dashboards_out(
        door, ada, django_capture_on_commit_callbacks):
    seen_at = timezone.now()

    def publish():
        with django_capture_on_commit_callbacks(execute=True):
            return event_publish(type=Event.VISIT_NAMED, occurred_at=seen_at, camera=door, person=ada, score=0.71234,
                                 visit_id=42, data={"frame_count": 3})

    events, event = faces_data.events_during(["dashboard"], publish)

    assert isinstance(event.id, uuid.UUID) and Event.objects.get(pk=event.id).type == "visit.named"
    assert not [e for e in events["dashboard"] if e["type"] == "integration.event"]  # they list alerts alone
    (entry,) = [fields for _, fields in redis_client().xrevrange(STREAM, count=1)]
    assert entry[b"type"] == b"visit.named" and json.loads(entry[b"event"]) == {
        "id": str(event.id), "type": "visit.named", "time": timezone.localtime(seen_at).isoformat(),
        "camera": {"id": door.pk, "name": "Door"}, "person": {"id": ada.pk, "name": "Ada", "code": "A1"},
        "provisional": None, "score": 0.7123, "visit_id": 42, "data": {"frame_count": 3},
    }


def test_it_tells_nobody_of_an_event_whose_transaction_rolled_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            event = event_publish(type=Event.STRANGER_SEEN, occurred_at=timezone.now(), provisional="U-0001")
            raise RuntimeError("the visit's transaction failed")

    assert not Event.objects.filter(pk=event.id).exists()
    assert str(event.id) not in _stream_ids()


def test_it_writes_the_time_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    event = Event(type=Event.TEST, occurred_at=dt.datetime(2026, 7, 1, 22, 30, tzinfo=dt.UTC))

    assert event_json(event)["time"] == "2026-07-02T00:30:00+02:00"


def test_it_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="unknown event type"):
        event_publish(type="visit.teleported", occurred_at=timezone.now())


def test_it_trims_the_stream_to_about_the_setting(settings, django_capture_on_commit_callbacks):
    settings.FACEAPP_EVENTS_STREAM_MAX = 10
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(300):
            event_publish(type=Event.TEST, occurred_at=timezone.now())

    assert redis_client().xlen(STREAM) < 300  # MAXLEN ~: whole nodes of entries are dropped


def test_it_stores_the_event_and_returns_when_redis_is_away(embedded_valkey, door, django_capture_on_commit_callbacks):
    embedded_valkey.stop()

    with django_capture_on_commit_callbacks(execute=True):
        event = event_publish(type=Event.CAMERA_OFFLINE, occurred_at=timezone.now(), camera=door.pk)

    assert Event.objects.get(pk=event.id).camera == door
