"""The register's rules (attendance/rules.py) on a hand-written table: a school day of two sessions
and a night shift, in Europe/Berlin across the end of summer time (Sunday 2026-10-25)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from attendance.rules import (
    ABSENT, CLOSE_AT_LAST_SIGHTING, EXCUSED, HOLIDAY, IN, LATE, LEFT_EARLY, NOT_EXPECTED, OUT, PENDING, PRESENT,
    SEEN, DayRule, Event, SessionTimes, day_sessions, day_window, derive_day,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
SCHOOL = DayRule(sessions=(SessionTimes(dt.time(8), dt.time(12)), SessionTimes(dt.time(13), dt.time(15))),
                 grace_late=5, grace_early=5, absent_after=30, checkin_before=30)
NIGHT = DayRule(sessions=(SessionTimes(dt.time(22), dt.time(6)),), grace_late=10, grace_early=10, absent_after=60,
                checkin_before=60, checkout_after=120, close_out=CLOSE_AT_LAST_SIGHTING)
FRIDAY, MONDAY = dt.date(2026, 10, 23), dt.date(2026, 10, 26)  # summer time on Friday, winter time on Monday


def at(day: dt.date, hour: int, minute: int = 0, *, next_day: bool = False) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=next_day), dt.time(hour, minute), tzinfo=BERLIN)


def events(*pairs) -> list[Event]:
    return [Event(when, kind) for kind, when in pairs]


def school_day(day, *pairs, **flags):
    return derive_day(day=day, rule=SCHOOL, zone=BERLIN, events=events(*pairs), now=at(day, 23), **flags)


def test_it_keeps_8_00_at_8_00_local_on_both_sides_of_the_change():
    assert day_sessions(FRIDAY, SCHOOL, BERLIN)[0].start.astimezone(UTC).hour == 6  # UTC+2
    assert day_sessions(MONDAY, SCHOOL, BERLIN)[0].start.astimezone(UTC).hour == 7  # UTC+1


def test_it_counts_a_night_shift_across_midnight_for_the_day_it_starts():
    sunday = dt.date(2026, 10, 25)  # 22:00 Saturday to 06:00 Sunday is 9 hours: the clocks went back at 03:00
    start, end = day_sessions(dt.date(2026, 10, 24), NIGHT, BERLIN)[0].start, day_sessions(dt.date(2026, 10, 24), NIGHT, BERLIN)[0].end
    assert (end - start) == dt.timedelta(hours=9) and end.date() == sunday
    assert day_window(dt.date(2026, 10, 24), NIGHT, BERLIN) == (at(dt.date(2026, 10, 24), 21), at(sunday, 8))


@pytest.mark.parametrize(
    "name, pairs, status, late, early, on_site, forgotten",
    [
        ("on time", [(IN, at(FRIDAY, 7, 55)), (OUT, at(FRIDAY, 15, 2))], PRESENT, 0, 0, 427, False),
        ("late within grace", [(IN, at(FRIDAY, 8, 4)), (OUT, at(FRIDAY, 15))], PRESENT, 0, 0, 416, False),
        ("late", [(IN, at(FRIDAY, 8, 17)), (OUT, at(FRIDAY, 15, 1))], LATE, 17, 0, 404, False),
        ("left early", [(IN, at(FRIDAY, 7, 50)), (OUT, at(FRIDAY, 14, 20))], LEFT_EARLY, 0, 40, 390, False),
        ("afternoon missed", [(IN, at(FRIDAY, 7, 58)), (OUT, at(FRIDAY, 12, 1))], LEFT_EARLY, 0, 0, 243, False),
        ("morning missed", [(IN, at(FRIDAY, 12, 50)), (OUT, at(FRIDAY, 15))], LATE, 0, 0, 130, False),
        ("absent", [], ABSENT, 0, 0, 0, False),
        ("forgotten out", [(IN, at(FRIDAY, 7, 59))], PRESENT, 0, 0, 421, True),
        ("sightings only", [(SEEN, at(FRIDAY, 7, 58)), (SEEN, at(FRIDAY, 11)), (SEEN, at(FRIDAY, 14, 58))],
         PRESENT, 0, 0, 420, False),
        ("out and back in", [(IN, at(FRIDAY, 7, 58)), (OUT, at(FRIDAY, 10)), (IN, at(FRIDAY, 10, 30)),
                             (OUT, at(FRIDAY, 15))], PRESENT, 0, 0, 392, False),
        ("after the change", [(IN, at(MONDAY, 8, 10)), (OUT, at(MONDAY, 15))], LATE, 10, 0, 410, False),
    ],
)
def test_it_derives_a_school_day(name, pairs, status, late, early, on_site, forgotten):
    day = MONDAY if name == "after the change" else FRIDAY
    result = school_day(day, *pairs)
    assert (result.status, result.minutes_late, result.minutes_early, result.minutes_on_site, result.forgotten_out) \
        == (status, late, early, on_site, forgotten)


def test_it_excuses_a_planned_absence_and_a_holiday_is_never_absent():
    assert school_day(FRIDAY, excused=True).status == EXCUSED
    assert school_day(FRIDAY, holiday=True).status == HOLIDAY
    assert school_day(FRIDAY, (IN, at(FRIDAY, 7, 55)), excused=True).status == PRESENT  # came all the same


def test_it_expects_nobody_on_a_day_without_sessions():
    result = derive_day(day=FRIDAY, rule=DayRule(), zone=BERLIN, events=events((SEEN, at(FRIDAY, 9))), now=at(FRIDAY, 23))
    assert (result.status, result.first_in) == (NOT_EXPECTED, at(FRIDAY, 9))


def test_it_waits_for_the_absent_time_before_saying_absent():
    assert derive_day(day=FRIDAY, rule=SCHOOL, zone=BERLIN, events=[], now=at(FRIDAY, 8, 20)).status == PENDING
    assert derive_day(day=FRIDAY, rule=SCHOOL, zone=BERLIN, events=[], now=at(FRIDAY, 13, 31)).status == ABSENT


def test_it_counts_a_stay_until_now_while_the_person_is_in():
    result = derive_day(day=FRIDAY, rule=SCHOOL, zone=BERLIN, events=events((IN, at(FRIDAY, 7, 55))), now=at(FRIDAY, 9))
    assert (result.minutes_on_site, result.last_out, result.forgotten_out) == (65, None, False)


@pytest.mark.parametrize(
    "name, day, pairs, status, late, early, on_site, forgotten",
    [
        # Saturday night into Sunday morning: the clocks go back at 03:00, so the shift is 9 hours long.
        ("across the change", dt.date(2026, 10, 24), [(IN, at(dt.date(2026, 10, 24), 21, 50)),
                                                      (OUT, at(dt.date(2026, 10, 24), 6, 5, next_day=True))],
         PRESENT, 0, 0, 555, False),
        ("late", FRIDAY, [(IN, at(FRIDAY, 22, 25)), (OUT, at(FRIDAY, 6, 0, next_day=True))], LATE, 25, 0, 455, False),
        ("forgotten out, last sighting", FRIDAY, [(IN, at(FRIDAY, 21, 55)), (SEEN, at(FRIDAY, 4, 30, next_day=True))],
         PRESENT, 0, 0, 395, True),
    ],
)
def test_it_derives_a_night_shift(name, day, pairs, status, late, early, on_site, forgotten):
    result = derive_day(day=day, rule=NIGHT, zone=BERLIN, events=events(*pairs), now=at(day, 12, next_day=True))
    assert (result.status, result.minutes_late, result.minutes_early, result.minutes_on_site, result.forgotten_out) \
        == (status, late, early, on_site, forgotten)
