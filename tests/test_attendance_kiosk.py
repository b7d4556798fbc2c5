"""The kiosk (attendance/register.py kiosk_kind, attendance/kiosk.py): a visit at a kiosk camera
is an IN, or an OUT when the person is in now, at its first sighting; once the day is derived the
kiosk's camera group gets the greeting (a real Redis channel layer), with the person's status of
the day. Europe/Berlin, a school day 08:00-15:00 with 5 minutes' grace."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from attendance.models import AttendanceEvent, CameraRole, Group, RegisterDay, Schedule, ScheduleSession
from identity import events
from identity.events import Sighting
from identity.services.realtime import camera_group
from tests.review_data import make_camera, make_log, make_person

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = dt.date(2026, 10, 23)


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(FRIDAY, dt.time(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def ada():
    group = Group.objects.create(name="4B")
    schedule = Schedule.objects.create(group=group, starts_on=dt.date(2026, 9, 1), grace_late=5, grace_early=5)
    ScheduleSession.objects.create(schedule=schedule, weekday=FRIDAY.weekday(), start=dt.time(8), end=dt.time(15))
    person = make_person("Ada Lovelace")
    group.members.add(person)
    return person


@pytest.fixture
def kiosk():
    camera = make_camera("Door tablet")
    CameraRole.objects.create(camera=camera, role=CameraRole.KIOSK)
    return camera


@pytest.fixture
def greetings(kiosk):
    """receive(count): the next `count` messages pushed to the kiosk's camera group, through the
    real channel layer (received in one event loop: the layer's receive buffer belongs to one)."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(camera_group(kiosk.pk), channel)

    async def receive(count: int) -> list[dict]:
        return [await layer.receive(channel) for _ in range(count)]

    yield async_to_sync(receive)
    async_to_sync(layer.group_discard)(camera_group(kiosk.pk), channel)


def visit(person, camera, first: dt.datetime, last: dt.datetime, committed, log=None):
    """A named visit as identity tells it: opened at its first sighting, ended at its last."""
    log = log or make_log(seen_at=first, person=person, camera=camera)
    with committed():
        events.send_on_commit(events.visit_opened, sighting=Sighting(person.pk, first, camera.pk, log.pk))
        events.send_on_commit(events.visit_ended, sighting=Sighting(person.pk, last, camera.pk, log.pk))
    return log


def kinds(person) -> list[tuple[str, dt.datetime]]:
    return list(AttendanceEvent.objects.filter(person=person, voided_at__isnull=True).values_list("kind", "at"))


def test_it_toggles_in_then_out_then_in_at_a_kiosk(ada, kiosk, committed, media_root):
    visit(ada, kiosk, at(8, 7), at(8, 8), committed)
    visit(ada, kiosk, at(14, 40), at(14, 41), committed)
    visit(ada, kiosk, at(14, 50), at(14, 51), committed)

    assert kinds(ada) == [(AttendanceEvent.IN, at(8, 7)), (AttendanceEvent.OUT, at(14, 40)),
                          (AttendanceEvent.IN, at(14, 50))]
    day = RegisterDay.objects.get(person=ada, day=FRIDAY)
    assert (day.first_in, day.minutes_late) == (at(8, 7), 7)


def test_it_writes_one_event_for_a_kiosk_visit_that_opens_again(ada, kiosk, committed, media_root):
    log = visit(ada, kiosk, at(8, 0), at(8, 1), committed)
    visit(ada, kiosk, at(8, 2), at(8, 3), committed, log=log)  # extended by a later track: it opens again

    assert kinds(ada) == [(AttendanceEvent.IN, at(8, 0))]


def test_it_counts_an_in_from_an_entry_camera_so_the_kiosk_writes_out(ada, kiosk, committed, media_root):
    entry = make_camera("Gate")
    CameraRole.objects.create(camera=entry, role=CameraRole.ENTRY)
    visit(ada, entry, at(7, 55), at(7, 56), committed)
    visit(ada, kiosk, at(15, 2), at(15, 3), committed)

    assert kinds(ada) == [(AttendanceEvent.IN, at(7, 55)), (AttendanceEvent.OUT, at(15, 2))]


def test_it_greets_the_person_on_the_kiosks_group_once_the_day_is_derived(ada, kiosk, greetings, committed,
                                                                         media_root):
    visit(ada, kiosk, at(8, 7), at(8, 8), committed)
    visit(ada, kiosk, at(14, 40), at(14, 41), committed)

    assert greetings(2) == [
        {"type": "camera.message", "message": {"kind": "greeting", "name": "Ada Lovelace", "direction": "IN",
                                               "time": "08:07", "status": "late by 7 min"}},
        {"type": "camera.message", "message": {"kind": "greeting", "name": "Ada Lovelace", "direction": "OUT",
                                               "time": "14:40", "status": "left early by 20 min"}},
    ]
