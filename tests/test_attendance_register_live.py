"""The daily register, live (ws/groups/<id>/register/): a named visit's row goes, once committed,
to the sockets of that group's register as one `register.rows` event with the day's counts; a
row derived again unchanged sends nothing; a viewer not responsible for the group is closed
with 4403, as is one who stops being responsible (at the next re-join)."""

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction

from attendance.models import Group, Schedule, ScheduleSession
from attendance.register import person_day_derive, register_due
from faceapp.asgi import application
from faceapp.clock import site_date
from identity import events
from identity.events import Sighting
from tests.event_loops import run_scenario
from tests.attendance_data import earlier_today
from tests.review_data import make_camera, make_log, make_person

pytestmark = pytest.mark.django_db(transaction=True)
TIMEOUT = 30  # a deadline for slow machines, not a timing assertion
FORBIDDEN = 4403


@pytest.fixture
def all_day(viewer_user, media_root):
    """A group expected all day every day, the viewer responsible for it; Ada in it."""
    group = Group.objects.create(name="Night and day")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 1, 1))
    for weekday in range(7):
        ScheduleSession.objects.create(schedule=schedule, weekday=weekday, start=dt.time(0), end=dt.time(23, 59))
    group.responsible.add(viewer_user)
    ada = make_person("Ada", "A1")
    group.members.add(ada)
    return group, ada


def _communicator(path: str, user, client) -> WebsocketCommunicator:
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return WebsocketCommunicator(application, path, headers=[
        (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie.encode())])


def _visit(person, camera) -> None:
    """A named visit opened a minute ago, committed: identity's event, as the live path sends it."""
    seen_at = earlier_today(dt.timedelta(minutes=1))
    log = make_log(seen_at=seen_at, person=person, camera=camera)
    with transaction.atomic():
        events.send_on_commit(events.visit_opened, sighting=Sighting(person.pk, seen_at, camera.pk, log.pk))


def test_it_pushes_a_named_visits_row_to_the_groups_register(client, viewer_user, all_day):
    group, ada = all_day
    hall = make_camera("Hall")
    communicator = _communicator(f"/ws/groups/{group.pk}/register/", viewer_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(_visit)(ada, hall)
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        if event["day"] != site_date().isoformat():  # the day before first: a visit may end its night
            event = await communicator.receive_json_from(timeout=TIMEOUT)
        await sync_to_async(person_day_derive)(person_id=ada.pk, day=site_date())  # nothing changed
        quiet = await communicator.receive_nothing(timeout=1)
        await communicator.disconnect()
        return event, quiet

    event, quiet = run_scenario(scenario)

    assert (event["type"], event["group_id"], event["day"]) == ("register.rows", group.pk, site_date().isoformat())
    (row,) = event["rows"]
    assert (row["person_id"], row["name"], row["code"], row["marked"]) == (ada.pk, "Ada", "A1", False)
    assert row["status"] in ("present", "late") and row["first_in"] is not None
    assert event["counts"]["in"] == 1 and event["counts"]["expected"] == 1
    assert quiet, "a row derived again unchanged was pushed"


def test_it_refuses_a_viewer_not_responsible_for_the_group(client, django_user_model, all_day):
    from django.contrib.auth.models import Group as Role

    group, _ = all_day
    other = django_user_model.objects.create_user(username="other-viewer")
    other.groups.add(Role.objects.get_or_create(name="viewer")[0])
    communicator = _communicator(f"/ws/groups/{group.pk}/register/", other, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        message = await communicator.receive_output(timeout=TIMEOUT) if connected else {"code": None}
        return message.get("code")

    assert run_scenario(scenario) == FORBIDDEN


def test_it_closes_the_socket_of_a_viewer_no_longer_responsible(client, viewer_user, all_day, monkeypatch):
    from attendance.consumers import RegisterConsumer

    group, _ = all_day
    monkeypatch.setattr(RegisterConsumer, "group_refresh_seconds", 0.2)
    communicator = _communicator(f"/ws/groups/{group.pk}/register/", viewer_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(group.responsible.remove)(viewer_user)
        message = await communicator.receive_output(timeout=TIMEOUT)
        return message.get("code")

    assert run_scenario(scenario) == FORBIDDEN


def test_it_pushes_the_schedulers_pass_over_a_group_as_one_event(client, viewer_user, all_day):
    group, ada = all_day
    group.members.add(make_person("Bea", "B1"), make_person("Cem", "C1"))
    communicator = _communicator(f"/ws/groups/{group.pk}/register/", viewer_user, client)

    async def scenario():
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        assert connected
        await sync_to_async(register_due)()
        event = await communicator.receive_json_from(timeout=TIMEOUT)
        quiet = await communicator.receive_nothing(timeout=1)
        await communicator.disconnect()
        return event, quiet

    event, quiet = run_scenario(scenario)

    assert (event["type"], event["group_id"], event["day"]) == ("register.rows", group.pk, site_date().isoformat())
    assert sorted(row["name"] for row in event["rows"]) == ["Ada", "Bea", "Cem"]
    assert quiet, "the members' rows were pushed one by one"
