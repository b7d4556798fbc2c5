"""Revocation reaches open sockets: a camera switched off or given a new token is cut off at its
next frame, a user who logs out, is deactivated or loses the role at the next re-join; a device
token travels in a header or a first message, never in the URL."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session

from faceapp.asgi import application
from identity import consumers
from identity.models import Camera
from identity.services import cameras, frames
from tests import faces_data, live_data
from tests.event_loops import run_scenario

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 30  # a deadline for slow machines, not a timing assertion
FORBIDDEN = 4403
FRAME = faces_data.photo("lfw_person_a_1.jpg")


@pytest.fixture
def camera(media_root):
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    return camera


@pytest.fixture
def quick_rejoin(monkeypatch):
    monkeypatch.setattr(consumers._GroupConsumer, "group_refresh_seconds", 0.2)


def _socket(path: str, *, token: str | None = None, cookie: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def _signed_in(client, user) -> str:
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _run(scenario):
    async def run():
        return await scenario()

    return run_scenario(run)


async def _frame_answer(socket) -> dict:
    await socket.send_to(bytes_data=FRAME)
    return await socket.receive_output(timeout=TIMEOUT)


def _received(camera: Camera) -> int:
    return frames.frame_counts(camera_id=camera.pk).get("received", 0)


def test_it_cuts_off_a_camera_switched_off_at_its_next_frame(camera):
    socket = _socket(f"/ws/cameras/{camera.pk}/", token=camera.token)

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        first = await _frame_answer(socket)
        await sync_to_async(Camera.objects.filter(pk=camera.pk).update)(active=False)
        second = await _frame_answer(socket)
        await socket.wait()
        return first, second

    first, second = _run(scenario)
    assert '"queued"' in first["text"]
    assert second == {"type": "websocket.close", "code": FORBIDDEN}
    assert _received(camera) == 1  # the frame after the switch-off never reached the live worker


def test_it_cuts_off_a_device_on_the_old_token_once_a_new_one_is_made(camera):
    old = camera.token
    socket = _socket(f"/ws/cameras/{camera.pk}/", token=old)

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        await _frame_answer(socket)
        await sync_to_async(cameras.camera_token_rotate)(camera=camera)
        closed = await _frame_answer(socket)
        await socket.wait()
        return closed

    assert _run(scenario) == {"type": "websocket.close", "code": FORBIDDEN}
    refused = _socket(f"/ws/cameras/{camera.pk}/", token=old)
    assert _run(lambda: _closed_code(refused)) == FORBIDDEN


def test_it_takes_the_new_token_in_a_header(camera):
    new = cameras.camera_token_rotate(camera=camera)
    socket = _socket(f"/ws/cameras/{camera.pk}/", token=new)

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        await socket.send_to(bytes_data=FRAME)
        answer = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return answer

    assert _run(scenario)["status"] == "queued"


def test_it_takes_a_token_as_the_first_message(camera):
    socket = _socket(f"/ws/cameras/{camera.pk}/")

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        await socket.send_json_to({"type": "auth", "token": camera.token})
        auth = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.send_to(bytes_data=FRAME)
        ack = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return auth, ack

    auth, ack = _run(scenario)
    assert auth == {"type": "camera.auth", "status": "ok"} and ack["status"] == "queued"


def test_it_refuses_frames_before_the_token_and_a_wrong_first_message(camera):
    socket = _socket(f"/ws/cameras/{camera.pk}/")

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        await socket.send_to(bytes_data=FRAME)
        closed = await socket.receive_output(timeout=TIMEOUT)
        await socket.wait()
        return closed

    assert _run(scenario) == {"type": "websocket.close", "code": FORBIDDEN}
    wrong = _socket(f"/ws/cameras/{camera.pk}/")

    async def wrong_token():
        assert (await wrong.connect(timeout=TIMEOUT))[0]
        await wrong.send_json_to({"type": "auth", "token": "guess"})
        closed = await wrong.receive_output(timeout=TIMEOUT)
        await wrong.wait()
        return closed

    assert _run(wrong_token) == {"type": "websocket.close", "code": FORBIDDEN}
    assert _received(camera) == 0


def test_it_closes_a_socket_that_never_says_who_it_is(camera, monkeypatch):
    monkeypatch.setattr(consumers, "AUTH_MESSAGE_SECONDS", 0.2)
    socket = _socket(f"/ws/cameras/{camera.pk}/")

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        closed = await socket.receive_output(timeout=TIMEOUT)
        await socket.wait()
        return closed

    assert _run(scenario) == {"type": "websocket.close", "code": FORBIDDEN}


def test_it_refuses_a_token_in_the_url(camera):
    assert _run(lambda: _closed_code(_socket(f"/ws/cameras/{camera.pk}/?token={camera.token}"))) == FORBIDDEN


async def _closed_code(socket) -> int | None:
    connected, _ = await socket.connect(timeout=TIMEOUT)
    message = await socket.receive_output(timeout=TIMEOUT) if connected else {"code": None}
    await socket.wait()
    return message.get("code")


def _dashboard_closed_after(client, user, revoke) -> dict:
    socket = _socket("/ws/dashboard/", cookie=_signed_in(client, user))

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        assert await socket.receive_nothing(timeout=0.5)  # open across a few re-joins first
        await sync_to_async(revoke)()
        closed = await socket.receive_output(timeout=TIMEOUT)
        await socket.wait()
        return closed

    return _run(scenario)


def test_it_closes_the_dashboard_of_a_user_who_logged_out(client, viewer_user, quick_rejoin):
    assert _dashboard_closed_after(client, viewer_user, lambda: Session.objects.all().delete()) == {
        "type": "websocket.close", "code": FORBIDDEN}


def test_it_closes_the_dashboard_of_a_deactivated_user(client, viewer_user, quick_rejoin):
    def deactivate():
        viewer_user.is_active = False
        viewer_user.save()

    assert _dashboard_closed_after(client, viewer_user, deactivate) == {"type": "websocket.close", "code": FORBIDDEN}


def test_it_closes_the_enrolment_socket_of_an_operator_demoted_to_viewer(client, operator_user, quick_rejoin):
    def demote():
        operator_user.groups.set([Group.objects.get_or_create(name="viewer")[0]])

    socket = _socket("/ws/people/1/enrolment/", cookie=_signed_in(client, operator_user))

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        assert await socket.receive_nothing(timeout=0.5)
        await sync_to_async(demote)()
        closed = await socket.receive_output(timeout=TIMEOUT)
        await socket.wait()
        return closed

    assert _run(scenario) == {"type": "websocket.close", "code": FORBIDDEN}


def test_it_keeps_an_allowed_user_connected_across_rejoins(client, viewer_user, quick_rejoin):
    socket = _socket("/ws/dashboard/", cookie=_signed_in(client, viewer_user))

    async def scenario():
        assert (await socket.connect(timeout=TIMEOUT))[0]
        quiet = await socket.receive_nothing(timeout=1.5)  # about seven re-joins
        await socket.disconnect()
        return quiet

    assert _run(scenario)
