"""The sockets' replay (identity.services.realtime, identity.consumers): a page rendered at a
replay position gets, once its socket has joined, what was pushed after it, once each, through
the same handlers; a viewer only what their window lets them see; a camera's overlays and
statuses are never replayed."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from faceapp.redis_client import redis_client
from identity.models import Camera
from identity.services import realtime
from identity.services.realtime import DASHBOARD_GROUP, camera_group, push, replay_position
from tests import live_data
from tests.test_consumers import TIMEOUT, _communicator, _run

pytestmark = pytest.mark.django_db(transaction=True)


def _row(person_id: int) -> dict:
    return {"type": "attendance.row", "attendance": {"day": "2026-03-02", "person_id": person_id,
                                                     "present": None, "absent": None}}


def _received_until(communicator, marker_id: int):
    """Connect, push a live marker row, and return every event up to it (the replayed ones come
    before any live event: the consumer replays while it connects)."""

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(push)(DASHBOARD_GROUP, _row(marker_id))
        received = []
        while not received or received[-1].get("attendance", {}).get("person_id") != marker_id:
            received.append(await communicator.receive_json_from(timeout=TIMEOUT))
        await communicator.disconnect()
        return received

    return _run(scenario)


def _ids(events) -> list[int]:
    return [event["attendance"]["person_id"] for event in events]


def test_it_replays_what_was_pushed_after_the_pages_position(client, operator_user):
    push(DASHBOARD_GROUP, _row(1))  # before the page was rendered: the page has it
    position = replay_position(DASHBOARD_GROUP)
    push(DASHBOARD_GROUP, _row(2))  # between the render and the socket: lost without replay
    push(DASHBOARD_GROUP, _row(3))

    received = _received_until(_communicator(f"/ws/dashboard/?after={position}", operator_user, client), 99)

    assert _ids(received) == [2, 3, 99]
    assert all(realtime.replay_id_key(event["replay_id"]) > realtime.replay_id_key(position) for event in received)


def test_it_replays_nothing_without_a_position(client, operator_user):
    push(DASHBOARD_GROUP, _row(4))

    received = _received_until(_communicator("/ws/dashboard/", operator_user, client), 98)

    assert _ids(received) == [98]


def test_it_sends_an_event_once_when_it_comes_both_replayed_and_live(client, operator_user):
    """A push after the socket joined the group but before its replay read the log reaches the
    consumer twice: the live copy is dropped."""
    position = replay_position(DASHBOARD_GROUP)
    push(DASHBOARD_GROUP, _row(5))
    communicator = _communicator(f"/ws/dashboard/?after={position}", operator_user, client)
    layer = get_channel_layer()

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        replayed = await communicator.receive_json_from(timeout=TIMEOUT)
        await layer.group_send(DASHBOARD_GROUP, replayed)  # its live copy, arriving late
        await sync_to_async(push)(DASHBOARD_GROUP, _row(97))
        following = await communicator.receive_json_from(timeout=TIMEOUT)
        await communicator.disconnect()
        return replayed, following

    replayed, following = _run(scenario)
    assert _ids([replayed, following]) == [5, 97]


def test_it_replays_nothing_to_a_viewer_from_before_their_window(client, viewer_user, operator_user, settings):
    settings.FACEAPP_VIEWER_MEDIA_HOURS = 0  # viewers see what happens while they watch, nothing before
    position = replay_position(DASHBOARD_GROUP)
    push(DASHBOARD_GROUP, _row(6))

    viewer = _received_until(_communicator(f"/ws/dashboard/?after={position}", viewer_user, client), 96)
    operator = _received_until(_communicator(f"/ws/dashboard/?after={position}", operator_user, client), 95)

    assert _ids(viewer) == [96]
    assert _ids(operator) == [6, 96, 95]  # the archive is theirs: the marker pushed meanwhile too


def test_it_replays_a_cameras_visits_but_not_its_overlays_or_statuses(client, operator_user, media_root):
    camera = Camera.objects.create(name="Door")
    live_data.live_keys_clear(camera)
    group = camera_group(camera.pk)
    position = replay_position(group)
    visit = {"type": "visit.update", "event": "opened", "visit": {"id": 41, "camera": {"id": camera.pk}}}
    push(group, {"type": "camera.overlay", "camera": {"id": camera.pk}, "faces": []})
    push(group, visit)
    push(group, {"type": "camera.status", "camera": {"id": camera.pk}})
    push(group, {"type": "camera.message", "message": {"kind": "stranger", "text": "Hello"}})
    communicator = _communicator(f"/ws/cameras/{camera.pk}/?after={position}", operator_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(push)(group, {**visit, "event": "ended"})
        received = [await communicator.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
        await communicator.disconnect()
        return received

    received = _run(scenario)
    assert [(event["type"], event["event"]) for event in received] == [("visit.update", "opened"),
                                                                         ("visit.update", "ended")]


def test_it_ignores_a_position_that_is_not_a_replay_id(client, operator_user):
    push(DASHBOARD_GROUP, _row(7))

    received = _received_until(_communicator("/ws/dashboard/?after=0-0%27%20OR", operator_user, client), 94)

    assert _ids(received) == [94]


def test_it_keeps_the_log_short():
    group = "replay-test-short"
    redis_client().delete(realtime.replay_key(group))
    for n in range(1500):
        realtime._replay_add(group, _row(n))
    kept = realtime.replay_since(group=group, after="0-0")
    assert len(kept) < realtime.REPLAY_LENGTH * 2  # MAXLEN ~: about REPLAY_LENGTH, whole nodes trimmed
    assert [event["attendance"]["person_id"] for _, event in kept[-2:]] == [1498, 1499]  # the newest
