"""The register's rules as plain Python: a person's day derived from their attendance events and
the rule that applied that day. No Django: the services feed it rows and store what it returns.

As in Frappe HRMS's shift types: a session has a start and an end in the site's local time
(an end at or before the start crosses midnight and counts for the day it starts); a check-in
counts from `checkin_before` minutes before the start, a check-out until `checkout_after`
minutes after the end; an arrival more than `grace_late` minutes after the start is late, a
departure more than `grace_early` minutes before the end is early; nobody seen `absent_after`
minutes after a session's start is absent from it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

IN, OUT, SEEN = "in", "out", "seen"
PRESENT, LATE, LEFT_EARLY, ABSENT = "present", "late", "left_early", "absent"
EXCUSED, HOLIDAY, NOT_EXPECTED, PENDING = "excused", "holiday", "not_expected", "pending"
CLOSE_AT_SESSION_END, CLOSE_AT_LAST_SIGHTING = "session_end", "last_seen"


@dataclass(frozen=True)
class SessionTimes:
    """One session of a weekly timetable, in local wall-clock time."""

    start: dt.time
    end: dt.time  # at or before start: the session ends the next day


@dataclass(frozen=True)
class DayRule:
    """What one day expects of a person: its sessions and the schedule's minutes."""

    sessions: tuple[SessionTimes, ...] = ()
    grace_late: int = 0
    grace_early: int = 0
    absent_after: int = 60
    checkin_before: int = 60
    checkout_after: int = 240
    close_out: str = CLOSE_AT_SESSION_END  # how a forgotten OUT is closed


@dataclass(frozen=True)
class Event:
    at: dt.datetime  # aware
    kind: str  # IN, OUT or SEEN


@dataclass(frozen=True)
class Session:
    start: dt.datetime  # aware, in the site's zone
    end: dt.datetime


@dataclass(frozen=True)
class SessionResult:
    session: Session
    status: str  # PRESENT, LATE, ABSENT, PENDING (too early to say), LEFT_EARLY
    arrived: dt.datetime | None
    left: dt.datetime | None
    minutes_late: int
    minutes_early: int


@dataclass(frozen=True)
class DayResult:
    status: str
    first_in: dt.datetime | None = None
    last_out: dt.datetime | None = None
    minutes_on_site: int = 0
    minutes_late: int = 0
    minutes_early: int = 0
    forgotten_out: bool = False  # the last stay had no OUT: closed by the rule's close_out
    in_now: bool = False  # an IN with no OUT yet while the day's window lasts
    sessions: tuple[SessionResult, ...] = field(default=())


def local_moment(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """The wall-clock time on that local day (08:00 stays 08:00 across a daylight-saving change), in
    UTC: Python subtracts two times of one zone on the wall clock, which is wrong across a change."""
    return dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.timezone.utc)


def day_sessions(day: dt.date, rule: DayRule, zone: ZoneInfo) -> tuple[Session, ...]:
    sessions = []
    for times in rule.sessions:
        end_day = day + dt.timedelta(days=1) if times.end <= times.start else day
        sessions.append(Session(local_moment(day, times.start, zone), local_moment(end_day, times.end, zone)))
    return tuple(sorted(sessions, key=lambda session: session.start))


def day_window(day: dt.date, rule: DayRule, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the events that count for the day: the calendar day without sessions, else
    from the first check-in allowed to the last check-out allowed (past midnight for a night shift)."""
    sessions = day_sessions(day, rule, zone)
    if not sessions:
        return local_moment(day, dt.time.min, zone), local_moment(day + dt.timedelta(days=1), dt.time.min, zone)
    start = sessions[0].start - dt.timedelta(minutes=rule.checkin_before)
    end = max(session.end for session in sessions) + dt.timedelta(minutes=rule.checkout_after)
    return start, end


def _minutes(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


@dataclass(frozen=True)
class Stay:
    arrived: dt.datetime
    left: dt.datetime
    closed_by: str  # OUT (an exit seen), SEEN (the last sighting, no exit camera), "rule" or "now"


def _stays(events: list[Event], *, close_at: dt.datetime | None, now: dt.datetime, day_end: dt.datetime) -> list[Stay]:
    """Time on site. With IN/OUT events an IN opens a stay and an OUT closes it (an OUT with no
    stay open closes one opened at the first sighting before it); a stay still open is running
    (until now) while the day's window lasts, then closed by the rule (at close_at, or at the last
    event). With sightings only, one stay from the first sighting to the last."""
    if not any(event.kind in (IN, OUT) for event in events):
        return [Stay(events[0].at, events[-1].at, SEEN)] if events else []
    stays, opened, first_seen = [], None, None
    for event in events:
        if event.kind == IN and opened is None:
            opened = event.at
        elif event.kind == OUT:
            start = opened or first_seen
            if start is not None:
                stays.append(Stay(start, event.at, OUT))
            opened, first_seen = None, None
        elif event.kind == SEEN and opened is None and first_seen is None:
            first_seen = event.at
    if opened is not None and now < day_end:
        stays.append(Stay(opened, max(opened, now), "now"))
    elif opened is not None:
        close = close_at if close_at is not None and close_at > opened else events[-1].at
        stays.append(Stay(opened, close, "rule"))
    return stays


def _session_result(session: Session, rule: DayRule, stays: list[Stay], now: dt.datetime) -> SessionResult:
    opens = session.start - dt.timedelta(minutes=rule.checkin_before)
    overlapping = [stay for stay in stays if stay.arrived < session.end and stay.left >= opens]
    if not overlapping:
        decided = now >= session.start + dt.timedelta(minutes=rule.absent_after)
        return SessionResult(session, ABSENT if decided else PENDING, None, None, 0, 0)
    arrived, last = overlapping[0].arrived, overlapping[-1]
    late = _minutes(arrived - session.start)
    late = late if late > rule.grace_late else 0
    # Only an exit seen is a departure: a last sighting or a closing rule says nothing of when they left.
    left = last.left if last.closed_by == OUT and last.left < session.end else None
    early = _minutes(session.end - left) if left is not None else 0
    early = early if early > rule.grace_early else 0
    status = LATE if late else LEFT_EARLY if early else PRESENT
    return SessionResult(session, status, arrived, left, late, early)


def derive_day(
    *, day: dt.date, rule: DayRule, zone: ZoneInfo, events: list[Event], now: dt.datetime,
    holiday: bool = False, excused: bool = False,
) -> DayResult:
    """The person's day from their events (those outside day_window are left out) as of `now`."""
    start, end = day_window(day, rule, zone)
    events = sorted((Event(event.at.astimezone(dt.timezone.utc), event.kind) for event in events
                     if start <= event.at < end and event.at <= now), key=lambda event: event.at)
    sessions = day_sessions(day, rule, zone)
    close_at = max(session.end for session in sessions) if sessions and rule.close_out == CLOSE_AT_SESSION_END else None
    stays = _stays(events, close_at=close_at, now=now, day_end=end)
    results = tuple(_session_result(session, rule, stays, now) for session in sessions)
    still_in = bool(stays) and stays[-1].closed_by == "now"
    base = dict(
        first_in=stays[0].arrived if stays else None,
        last_out=stays[-1].left if stays and not still_in else None,
        minutes_on_site=sum(_minutes(stay.left - stay.arrived) for stay in stays),
        minutes_late=sum(result.minutes_late for result in results),
        minutes_early=sum(result.minutes_early for result in results),
        forgotten_out=bool(stays) and stays[-1].closed_by == "rule",
        in_now=still_in,
        sessions=results,
    )
    return DayResult(_day_status(results, holiday=holiday, excused=excused), **base)


def _day_status(results: tuple[SessionResult, ...], *, holiday: bool, excused: bool) -> str:
    """Late when any session was (or the first was missed), left early likewise at the end."""
    if holiday:
        return HOLIDAY
    if not results:
        return NOT_EXPECTED
    attended = [index for index, result in enumerate(results) if result.status not in (ABSENT, PENDING)]
    if not attended:
        if excused:
            return EXCUSED
        return ABSENT if all(result.status == ABSENT for result in results) else PENDING
    if any(result.minutes_late for result in results) or attended[0] > 0:
        return LATE
    if any(result.minutes_early for result in results) or results[-1].status == ABSENT:
        return LEFT_EARLY
    return PRESENT
