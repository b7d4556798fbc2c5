"""Webhook deliveries through a real Celery worker to a real HTTP receiver on 127.0.0.1 that
checks every signature: a signed delivery, retries after a 500, the same event id sent again
when an answer was lost (the receiver de-duplicates), a destination paused after failing
for longer than FACEAPP_WEBHOOK_PAUSE_AFTER, and resumed."""


import pytest
from django.utils import timezone

from attendance.register import register_due
from integrations import webhooks
from integrations.events import event_publish
from integrations.models import Delivery, Destination, Event
from tests.attendance_data import FRIDAY, at, morning_class
from tests.review_data import make_person
from tests.waiting import wait_until
from tests.webhook_receiver import destination_for

pytestmark = pytest.mark.django_db(transaction=True)

@pytest.fixture
def fast_retries(settings):
    settings.FACEAPP_WEBHOOK_RETRY_SECONDS = 0.2
    settings.FACEAPP_WEBHOOK_RETRY_MAX_SECONDS = 0.5


def _delivery_done(delivery: Delivery):
    delivery.refresh_from_db()
    return delivery if delivery.status != Delivery.PENDING else None


def test_it_sends_a_test_event_signed_with_the_destinations_secret(celery_worker, receiver):
    destination = destination_for(receiver)

    delivery = webhooks.destination_test_send(destination=destination)

    wait_until(lambda: _delivery_done(delivery), "the test delivery")
    (request,) = receiver.requests
    assert request.verified and request.event_id == str(delivery.event_id)
    assert request.body["type"] == "test" and request.body["id"] == request.event_id
    assert request.headers["X-Faceapp-Event-Type"] == "test" and request.headers["Content-Type"] == "application/json"
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.latency_ms is not None and not delivery.last_error


def test_it_refuses_a_body_signed_with_another_secret(celery_worker, receiver):
    destination = destination_for(receiver)
    receiver.secret = "not-the-secret"

    delivery = webhooks.destination_test_send(destination=destination)

    wait_until(lambda: _delivery_done(delivery), "the delivery")

    assert not receiver.requests[0].verified and not receiver.unique


def test_it_retries_after_a_500_with_the_same_event_id(celery_worker, receiver, fast_retries):
    destination = destination_for(receiver)
    receiver.script = [500, 503]

    delivery = webhooks.destination_test_send(destination=destination)

    wait_until(lambda: _delivery_done(delivery), "the delivery after its retries")
    assert [r.attempt for r in receiver.requests] == [1, 2, 3]
    assert {r.event_id for r in receiver.requests} == {str(delivery.event_id)}
    assert all(r.verified for r in receiver.requests)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    destination.refresh_from_db()
    assert destination.failing_since is None and destination.last_success_at is not None


def test_it_sends_again_when_the_answer_was_lost_and_the_receiver_keeps_one(celery_worker, receiver, fast_retries):
    destination = destination_for(receiver)
    receiver.script = ["drop"]  # the receiver got the body; the sender never hears back

    delivery = webhooks.destination_test_send(destination=destination)

    wait_until(lambda: _delivery_done(delivery), "the delivery sent again")
    assert len(receiver.requests) == 2 and len(receiver.unique) == 1
    assert delivery.status == "delivered" and delivery.attempts == 2


def test_it_gives_up_on_a_client_error_at_once(celery_worker, receiver, fast_retries):
    destination = destination_for(receiver)
    receiver.default = 410

    delivery = webhooks.destination_test_send(destination=destination)

    wait_until(lambda: _delivery_done(delivery), "the delivery given up")
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)
    assert delivery.last_error.startswith("the receiver answered with an error (HTTP 410")


def test_it_pauses_a_destination_failing_for_longer_than_the_setting(celery_worker, receiver, fast_retries, settings):
    settings.FACEAPP_WEBHOOK_PAUSE_AFTER = 1.0
    destination = destination_for(receiver)
    receiver.default = 500

    delivery = webhooks.destination_test_send(destination=destination)

    paused = wait_until(lambda: Destination.objects.filter(pk=destination.pk, paused_at__isnull=False).first(),
                        "the destination to be paused")
    assert "Every delivery failed for" in paused.pause_reason and "HTTP 500" in paused.pause_reason
    attempts = Delivery.objects.get(pk=delivery.pk).attempts
    receiver.default = 200
    event = event_publish(type=Event.VISIT_NAMED, occurred_at=timezone.now())
    waiting = Delivery.objects.get(event=event)
    # Not queued while paused, and an attempt (a stray copy of a task, the sweep) sends nothing.
    assert webhooks.delivery_attempt(delivery_id=waiting.pk) is None
    assert webhooks.delivery_attempt(delivery_id=delivery.pk) is None
    assert Delivery.objects.get(pk=delivery.pk).attempts == attempts and waiting.status == "pending"
    assert str(event.id) not in {r.event_id for r in receiver.requests}

    assert webhooks.destination_resume(destination=paused) == 2

    wait_until(lambda: _delivery_done(waiting) and _delivery_done(delivery), "the waiting deliveries after the resume")
    assert {str(event.id), str(delivery.event_id)} <= set(receiver.unique)


def test_it_picks_the_destinations_whose_types_and_filters_match():
    from tests import review_data

    door, hall = review_data.make_camera("Door"), review_data.make_camera("Hall")
    ada, bo = (review_data.make_person(name, with_sample=False) for name in ("Ada", "Bo"))

    def hook(name, types=("visit.named",), **fields):
        return Destination.objects.create(name=name, url="https://example.org/", event_types=list(types), **fields)

    hook("Everything")  # each destination is read back by name below
    hook("Strangers", identity=Destination.UNKNOWN)
    at_door, for_ada = hook("Door"), hook("Ada")
    at_door.cameras.add(door)
    for_ada.people.add(ada)
    cameras = hook("Cameras", types=("camera.offline",), identity=Destination.KNOWN)
    cameras.cameras.add(hall)
    hook("Off", active=False)

    def chosen(**fields):
        event = Event.objects.create(occurred_at=timezone.now(), **fields)
        return {d.name for d in webhooks.destinations_for(event=event)}

    assert chosen(type="visit.named", camera=door, person=ada) == {"Everything", "Door", "Ada"}
    assert chosen(type="visit.named", camera=hall, person=bo) == {"Everything"}
    assert chosen(type="visit.named", camera=hall, provisional="U-0001") == {"Everything", "Strangers"}
    assert chosen(type="camera.offline", camera=hall) == {"Cameras"}  # no face: the identity filter does not apply
    assert chosen(type="camera.offline", camera=door) == set()
    assert chosen(type="test") == set()  # test events go where their button says


def test_it_delivers_the_registers_attendance_absent_once(celery_worker, receiver, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    destination = destination_for(receiver, event_types=[Event.ATTENDANCE_ABSENT, Event.ATTENDANCE_LATE])
    ada = make_person("Ada", with_sample=False)
    group = morning_class(members=[ada])

    register_due(now=at(FRIDAY, 8, 31))  # the scheduler: absent once 08:30 passed
    register_due(now=at(FRIDAY, 8, 32))

    delivery = wait_until(lambda: _delivery_done(Delivery.objects.get(destination=destination)), "the delivery")
    assert delivery.status == Delivery.DELIVERED
    (body,) = receiver.unique.values()
    assert (body["type"], body["person"]["id"], body["data"]["group"], body["data"]["day"]) == (
        Event.ATTENDANCE_ABSENT, ada.pk, {"id": group.pk, "name": "4B"}, "2026-10-23")
    assert Delivery.objects.count() == 1
