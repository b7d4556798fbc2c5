"""End to end on the live path: camera frames through the real broker to a real live worker;
the visit's events are stored, put on the Redis stream, and delivered by the real worker as
signed webhooks to a real receiver on 127.0.0.1, with a signed crop link that works."""

import json
from urllib.parse import urlsplit

import pytest

from faceapp.redis_client import redis_client
from identity.models import Camera, MatchLog
from integrations.events import STREAM
from integrations.models import Event
from tests import live_data
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

pytestmark = pytest.mark.django_db(transaction=True)

VISIT_TYPES = ["visit.opened", "visit.named", "visit.ended"]


def test_it_delivers_a_live_visits_events_as_signed_webhooks(worker_enrolled_aaron, live_worker, receiver,
                                                             media_root, settings, client):
    settings.FACEAPP_TRACK_TIMEOUT_SECONDS = 1.0
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    destination = destination_for(receiver, event_types=[*VISIT_TYPES, "person.arrived", "stranger.seen"],
                                  include_crops=True)
    destination.cameras.add(camera)  # only this camera's events

    live_data.frames_send(camera, "lfw_person_a_2.jpg", 20)
    live_data.frames_send(camera, None, 10)  # gone: the track ends

    delivered = lambda kind: any(r.body["type"] == kind for r in receiver.requests)  # noqa: E731
    wait_until(lambda: delivered("visit.ended") and delivered("person.arrived"), "the visit.ended and person.arrived webhooks")
    visit = MatchLog.objects.get()
    events = list(Event.objects.filter(camera=camera).order_by("created_at"))
    # The arrival is recorded by the attendance worker, off the frame loop: its place among the visit's events varies.
    assert [e.type for e in events if e.type != "person.arrived"] == VISIT_TYPES
    assert [e.type for e in events].count("person.arrived") == 1
    bodies = {e.type: receiver.unique[str(e.id)] for e in events}  # each delivered, its signature verified
    assert all(r.verified for r in receiver.requests)
    for kind in VISIT_TYPES:
        body = bodies[kind]
        assert (body["visit_id"], body["person"]["name"], body["camera"]["name"]) == (visit.pk, "Aaron Peirsol", "Door")
    assert bodies["person.arrived"]["data"]["day"] == visit.created_at.date().isoformat()
    crop = urlsplit(bodies["visit.named"]["crop_url"]).path
    assert client.get(crop).status_code == 200  # no session: the signed link is the permission
    ids = [str(e.id) for e in events]
    streamed = [json.loads(fields[b"event"])["id"] for _, fields in redis_client().xrange(STREAM)]
    assert [event_id for event_id in streamed if event_id in ids] == ids  # on the stream, in order
