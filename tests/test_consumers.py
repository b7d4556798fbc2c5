"""Websocket consumers through the real ASGI stack (origin check, session auth, Redis channel
layer): who may connect, what they receive, camera frames and their acks."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from faceapp.asgi import application
from identity.models import Camera
from identity.services.realtime import push
from tests import faces_data, live_data
from tests.event_loops import run_scenario

# Committed rows: database_sync_to_async closes "old" connections around each call.
pytestmark = pytest.mark.django_db(transaction=True)


TIMEOUT = 30  # a deadline for slow machines, not a timing assertion
FORBIDDEN = 4403


def _communicator(path: str, user=None, client=None, *, token: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if user is not None:
        client.force_login(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def _run(scenario):
    """Run an async scenario (a function returning a coroutine) to its end."""

    async def run():
        return await scenario()

    return run_scenario(run)


async def _closed_with(communicator) -> int | None:
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    message = await communicator.receive_output(timeout=TIMEOUT) if connected else {"code": None}
    await communicator.wait()
    return message.get("code")


@pytest.mark.parametrize(
    "path, role",
    [("/ws/dashboard/", None), ("/ws/people/1/enrolment/", None), ("/ws/people/1/enrolment/", "viewer")],
)
def test_it_closes_with_4403_for_users_without_the_role(path, role, client, django_user_model, viewer_user):
    user = {None: django_user_model.objects.create_user(username="nobody", password="pw"), "viewer": viewer_user}[role]
    communicator = _communicator(path, user, client)
    assert _run(lambda: _closed_with(communicator)) == FORBIDDEN


def test_it_closes_with_4403_for_anonymous_visitors():
    assert _run(lambda: _closed_with(_communicator("/ws/dashboard/"))) == FORBIDDEN


def test_it_relays_dashboard_events_to_a_viewer(client, viewer_user):
    communicator = _communicator("/ws/dashboard/", viewer_user, client)
    event = {"type": "attendance.row", "attendance": {"day": "2026-03-02", "person_id": 7, "present": None, "absent": None}}

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(push)("dashboard", event)
        received = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return received

    received = _run(scenario)
    assert received.pop("replay_id")  # where the page's socket resumes after a drop (test_consumers_replay)
    assert received == event


def test_it_relays_only_that_persons_enrolment_to_an_operator(client, operator_user):
    communicator = _communicator("/ws/people/7/enrolment/", operator_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(push)("person-8-enrolment", {"type": "enrolment.sample", "sample": {"id": 2}})
        await sync_to_async(push)("person-7-enrolment", {"type": "enrolment.sample", "sample": {"id": 1}})
        received = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return received

    received = _run(scenario)
    received.pop("replay_id")
    assert received == {"type": "enrolment.sample", "sample": {"id": 1}}


@pytest.fixture
def camera(media_root):
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    return camera


def test_it_takes_frames_from_the_cameras_token_and_acks_each(camera):
    communicator = _communicator(f"/ws/cameras/{camera.pk}/", token=camera.token)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        acks = []
        for frame in (faces_data.photo("lfw_person_a_1.jpg"), faces_data.photo("lfw_person_a_2.jpg"),
                      faces_data.photo("lfw_person_b_1.jpg"), b"not a jpeg"):
            await communicator.send_to(bytes_data=frame)
            acks.append(await communicator.receive_json_from(timeout=TIMEOUT))
        await communicator.disconnect()
        return acks

    acks = _run(scenario)
    assert [ack["status"] for ack in acks] == ["queued", "replaced", "replaced", "rejected"]
    assert {ack["type"] for ack in acks} == {"camera.frame"}
    assert acks[3]["error"].startswith("not an image")
    assert camera.snapshot_set.count() == 0  # frames wait in memory for the live worker


def test_it_relays_recognition_results_of_that_camera_only(camera, client, operator_user):
    other = Camera.objects.create(name="Hall")
    communicator = _communicator(f"/ws/cameras/{camera.pk}/", operator_user, client)
    mine = {"type": "recognition.result", "snapshot": {"id": 1}, "faces": []}

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(push)(f"camera-{other.pk}", {**mine, "snapshot": {"id": 2}})
        await sync_to_async(push)(f"camera-{camera.pk}", mine)
        received = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return received

    received = _run(scenario)
    received.pop("replay_id")
    assert received == mine


def test_it_refuses_a_wrong_token_another_cameras_token_and_a_viewer(camera, client, viewer_user):
    other = Camera.objects.create(name="Hall")
    refused = [
        _communicator(f"/ws/cameras/{camera.pk}/", token="nope"),
        _communicator(f"/ws/cameras/{camera.pk}/", token=other.token),
        _communicator(f"/ws/cameras/{camera.pk}/", viewer_user, client),
        _communicator(f"/ws/cameras/{other.pk + 1000}/", token=camera.token),
    ]
    for communicator in refused:
        assert _run(lambda: _closed_with(communicator)) == FORBIDDEN
    camera.active = False
    camera.save()
    inactive = _communicator(f"/ws/cameras/{camera.pk}/", token=camera.token)
    assert _run(lambda: _closed_with(inactive)) == FORBIDDEN


def test_it_forwards_a_camera_message_only_to_that_cameras_device(camera):
    """A kiosk's greeting (attendance.kiosk) reaches the device of its camera, not another's."""
    other = Camera.objects.create(name="Hall")
    mine = _communicator(f"/ws/cameras/{camera.pk}/", token=camera.token)
    theirs = _communicator(f"/ws/cameras/{other.pk}/", token=other.token)
    greeting = {"type": "camera.message", "message": {"kind": "greeting", "name": "Ada", "direction": "IN",
                                                      "time": "08:07", "status": "on time"}}

    async def scenario():
        for communicator in (mine, theirs):
            connected, _ = await communicator.connect(timeout=TIMEOUT)
            assert connected
        await sync_to_async(push)(f"camera-{camera.pk}", greeting)
        received = await mine.receive_json_from(timeout=TIMEOUT)
        quiet = await theirs.receive_nothing(timeout=0.5)
        for communicator in (mine, theirs):
            await communicator.disconnect()
        return received, quiet

    assert _run(scenario) == (greeting, True)
