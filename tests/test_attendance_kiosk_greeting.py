"""A kiosk's greeting (attendance.presenters.kiosk_greeting): the text a person at the door reads,
in the site's clock (Europe/Berlin here); their name and status only, never a photo."""

import datetime as dt

import pytest

from attendance import rules
from attendance.presenters import kiosk_greeting

AT_0807 = dt.datetime(2026, 3, 2, 7, 7, tzinfo=dt.timezone.utc)  # 08:07 in Berlin (winter time)


@pytest.fixture(autouse=True)
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"


def message(**kwargs) -> dict:
    greeting = kiosk_greeting(**kwargs)
    assert greeting["type"] == "camera.message"
    return greeting["message"]


def test_it_greets_an_in_on_time():
    assert message(name="Ada", kind=rules.IN, at=AT_0807, status=rules.PRESENT) == {
        "kind": "greeting", "name": "Ada", "direction": "IN", "time": "08:07", "status": "on time"}


def test_it_says_how_late_an_in_is():
    said = message(name="Ada", kind=rules.IN, at=AT_0807, status=rules.LATE, minutes_late=7)
    assert (said["direction"], said["status"]) == ("IN", "late by 7 min")


def test_it_says_see_you_tomorrow_to_an_out_at_the_end():
    said = message(name="Ada", kind=rules.OUT, at=AT_0807, status=rules.PRESENT)
    assert (said["direction"], said["time"], said["status"]) == ("OUT", "08:07", "see you tomorrow")


def test_it_says_how_early_an_out_is():
    said = message(name="Ada", kind=rules.OUT, at=AT_0807, status=rules.LEFT_EARLY, minutes_early=20)
    assert said["status"] == "left early by 20 min"


def test_it_tells_a_stranger_to_see_the_office():
    assert message(name=None) == {"kind": "stranger", "text": "Not recognised, please see the office"}


def test_it_never_carries_a_photo():
    said = message(name="Ada", kind=rules.IN, at=AT_0807, status=rules.PRESENT)
    assert set(said) == {"kind", "name", "direction", "time", "status"}
