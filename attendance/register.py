"""The register's writes: named visits become attendance events (an append-only log), and each
person's days are derived from those events and the rules of the day (attendance.rules).

A camera's role says what its sightings mean: an entry camera's visit is an IN at its first
sighting, an exit camera's an OUT at its last, a presence camera's (and a photo's) a SEEN at
both. A review that changes whom a visit counts for voids its events and writes them again for
the person it counts for now. Deriving a person's day costs a bounded number of queries
whatever the number of people; an event can belong to the day before (a night shift), so both
are derived again.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from attendance import notices, rules
from attendance.models import AttendanceEvent, CameraRole, Closure, Group, PlannedAbsence, RegisterDay, Schedule
from faceapp.clock import site_date
from identity.models import MatchLog, Person

# What a visit at a camera of each role writes: (kind at its first sighting, kind at its last).
VISIT_KINDS = {
    CameraRole.ENTRY: (AttendanceEvent.IN, None),
    CameraRole.EXIT: (None, AttendanceEvent.OUT),
    CameraRole.PRESENCE: (AttendanceEvent.SEEN, AttendanceEvent.SEEN),
}


def camera_role(*, camera_id: int | None) -> str:
    """A camera's role; photos (no camera) and cameras without one are presence."""
    if camera_id is None:
        return CameraRole.PRESENCE
    return CameraRole.objects.filter(camera_id=camera_id).values_list("role", flat=True).first() or CameraRole.PRESENCE


def _event_write(*, person_id: int, at: dt.datetime, kind: str, camera_id: int | None, log_id: int | None) -> bool:
    """One event, unless the log has it already (a visit extended sends its opening again)."""
    duplicate = AttendanceEvent.objects.filter(
        person_id=person_id, log_id=log_id, kind=kind, at=at, voided_at__isnull=True).exists()
    if duplicate:
        return False
    AttendanceEvent.objects.create(person_id=person_id, at=at, kind=kind, camera_id=camera_id, log_id=log_id)
    return True


def visit_event_record(*, person_id: int, seen_at: dt.datetime, camera_id: int | None, log_id: int | None,
                       end: bool) -> None:
    """A named visit's sighting as its camera's role says (`end`: the visit's last sighting),
    then the person's days it touches derived again."""
    kind = VISIT_KINDS[camera_role(camera_id=camera_id)][1 if end else 0]
    if kind is not None and _event_write(person_id=person_id, at=seen_at, kind=kind, camera_id=camera_id,
                                         log_id=log_id):
        person_days_derive(person_id=person_id, days=days_touched(seen_at))


def visit_recount(*, log_id: int, before_person_id: int | None, after_person_id: int | None) -> None:
    """A review moved a visit: its events are voided, and written again for whom it counts for now."""
    now = timezone.now()
    # A sighting of the same visit recorded meanwhile: lock its events before voiding them.
    with transaction.atomic():
        voided = list(AttendanceEvent.objects.select_for_update().filter(log_id=log_id, voided_at__isnull=True)
                      .exclude(kind=AttendanceEvent.MARK))
        AttendanceEvent.objects.filter(pk__in=[event.pk for event in voided]).update(
            voided_at=now, voided_why="review: the visit counts for someone else")
        if after_person_id is not None:
            for kind, at, camera_id in _visit_kinds(log_id=log_id, voided=voided):
                _event_write(person_id=after_person_id, at=at, kind=kind, camera_id=camera_id, log_id=log_id)
    touched = {day for event in voided for day in days_touched(event.at)}
    for person_id in {event.person_id for event in voided} | {before_person_id, after_person_id} - {None}:
        person_days_derive(person_id=person_id, days=touched | _log_days(log_id))


def _visit_kinds(*, log_id: int, voided: list[AttendanceEvent]) -> list[tuple[str, dt.datetime, int | None]]:
    """The events a visit gives: those it had, else those its log says (a face that counted for nobody)."""
    if voided:
        return [(event.kind, event.at, event.camera_id) for event in voided]
    log = MatchLog.objects.filter(pk=log_id).values("created_at", "last_seen", "snapshot__camera_id").first()
    if log is None:
        return []
    camera_id = log["snapshot__camera_id"]
    first, last = VISIT_KINDS[camera_role(camera_id=camera_id)]
    kinds = [(first, log["created_at"], camera_id)] if first else []
    return kinds + ([(last, log["last_seen"] or log["created_at"], camera_id)] if last else [])


def _log_days(log_id: int) -> set[dt.date]:
    created_at = MatchLog.objects.filter(pk=log_id).values_list("created_at", flat=True).first()
    return days_touched(created_at) if created_at else set()


def days_touched(at: dt.datetime) -> set[dt.date]:
    """The days an event may count for: its own, and the one before (a night shift's end)."""
    day = site_date(at)
    return {day, day - dt.timedelta(days=1)}


def group_rule(group: Group, day: dt.date) -> tuple[Schedule | None, rules.DayRule]:
    schedule = (Schedule.objects.filter(group=group, starts_on__lte=day).order_by("-starts_on")
                .prefetch_related("sessions").first())
    if schedule is None:
        return None, rules.DayRule()
    sessions = tuple(rules.SessionTimes(session.start, session.end)
                     for session in schedule.sessions.all() if session.weekday == day.weekday())
    return schedule, rules.DayRule(
        sessions=sessions, grace_late=schedule.grace_late, grace_early=schedule.grace_early,
        absent_after=schedule.absent_after, checkin_before=schedule.checkin_before,
        checkout_after=schedule.checkout_after, close_out=schedule.close_out)


def group_closed(group: Group | None, day: dt.date) -> bool:
    closures = Closure.objects.filter(first_day__lte=day, last_day__gte=day)
    everyone = Q(groups__isnull=True)
    return closures.filter(everyone | Q(groups=group) if group else everyone).exists()


def person_day_derive(*, person_id: int, day: dt.date, now: dt.datetime | None = None) -> list[RegisterDay]:
    """Derive the person's day in each of their groups (one row without a group when in none) from
    the events of the day's window, the schedule in force, closures, planned absences and marks."""
    now, zone = now or timezone.now(), timezone.get_default_timezone()
    enrolled = Person.objects.filter(pk=person_id).values_list("created_at", flat=True).first()
    if enrolled is None or day < site_date(enrolled) or day > site_date(now):
        return []  # not a day of theirs: nothing is derived before they were enrolled, or ahead
    groups = list(Group.objects.filter(members=person_id)) or [None]
    ruled = {group: group_rule(group, day) if group else (None, rules.DayRule()) for group in groups}
    windows = [rules.day_window(day, rule, zone) for _, rule in ruled.values()]
    events = list(AttendanceEvent.objects.filter(
        person_id=person_id, voided_at__isnull=True, at__gte=min(start for start, _ in windows),
        at__lt=max(end for _, end in windows)).exclude(kind=AttendanceEvent.MARK))
    seen = [rules.Event(event.at, event.kind) for event in events]
    marks = list(AttendanceEvent.objects.filter(person_id=person_id, kind=AttendanceEvent.MARK, day=day,
                                                voided_at__isnull=True).order_by("-created_at", "-id"))
    absence = (PlannedAbsence.objects.filter(person_id=person_id, first_day__lte=day, last_day__gte=day)
               .order_by("-created_at").first())
    rows = []
    # Two workers deriving the same person-day at once: the last write wins, each from committed events.
    with transaction.atomic():
        for group, (schedule, rule) in ruled.items():
            result = rules.derive_day(day=day, rule=rule, zone=zone, events=seen, now=now,
                                      holiday=group_closed(group, day), excused=absence is not None)
            mark = next((mark for mark in marks if mark.group_id in (None, group.pk if group else None)), None)
            if mark is None and result.status == rules.NOT_EXPECTED and result.first_in is None:
                continue  # not expected and not seen: nothing to say of the day
            status = mark.status if mark else result.status
            code = mark.code if mark else absence.code if absence and status == rules.EXCUSED else None
            row, _ = RegisterDay.objects.update_or_create(
                person_id=person_id, group=group, day=day,
                defaults=dict(status=status, schedule=schedule, code=code, first_in=result.first_in,
                              last_out=result.last_out, minutes_on_site=result.minutes_on_site,
                              minutes_late=result.minutes_late, minutes_early=result.minutes_early,
                              forgotten_out=result.forgotten_out, in_now=result.in_now, marked=mark is not None,
                              computed_at=now))
            # Late or absent: told once (attendance.notices), while the day's window is open.
            notices.day_noticed(row=row, now=now, news_until=rules.day_window(day, rule, zone)[1])
            rows.append(row)
        RegisterDay.objects.filter(person_id=person_id, day=day).exclude(pk__in=[row.pk for row in rows]).delete()
    return rows


def person_days_derive(*, person_id: int, days: set[dt.date]) -> None:
    for day in sorted(days):
        person_day_derive(person_id=person_id, day=day)


def register_due(*, now: dt.datetime | None = None) -> int:
    """Derive the days the clock moved on without a sighting: members of a group with sessions on
    today or yesterday (a night shift) whose day is not derived yet, not decided yet (pending), or
    still open (in now). Returns how many person-days were derived."""
    now = now or timezone.now()
    derived = 0
    for day in (site_date(now) - dt.timedelta(days=1), site_date(now)):
        for group in Group.objects.filter(schedules__starts_on__lte=day).distinct():
            derived += group_day_due(group=group, day=day, now=now)
    return derived


def group_day_due(*, group: Group, day: dt.date, now: dt.datetime) -> int:
    """register_due for one group and day (also the digest's, before it reads the day)."""
    _, rule = group_rule(group, day)
    if not rule.sessions:
        return 0
    derived = 0
    settled = RegisterDay.objects.filter(group=group, day=day, in_now=False).exclude(status=rules.PENDING)
    for person_id in group.members.exclude(pk__in=settled.values("person_id")).values_list("pk", flat=True):
        derived += bool(person_day_derive(person_id=person_id, day=day, now=now))
    return derived


def day_derive_all(*, day: dt.date) -> int:
    """Derive everyone's day again (a schedule fixed after the fact, or the bench). Returns the rows."""
    people = set(Group.objects.filter(members__isnull=False).values_list("members", flat=True))
    start, end = rules.day_window(day, rules.DayRule(), timezone.get_default_timezone())
    people |= set(AttendanceEvent.objects.filter(at__gte=start - dt.timedelta(days=1), at__lt=end)
                  .values_list("person_id", flat=True))
    return sum(len(person_day_derive(person_id=person_id, day=day)) for person_id in sorted(people))
