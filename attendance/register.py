"""The register's writes: named visits become attendance events (an append-only log), and each
person's days are derived from those events and the rules of the day (attendance.rules).

A camera's role says what its sightings mean: an entry camera's visit is an IN at its first
sighting, an exit camera's an OUT at its last, a presence camera's (and a photo's) a SEEN at
both, a kiosk's an IN at its first sighting, or an OUT when the person is in now (and the kiosk
greets them: attendance.kiosk). A review that changes whom a visit counts for voids its events and writes them again for
the person it counts for now. Deriving a person's day costs a bounded number of queries
whatever the number of people; an event can belong to the day before (a night shift), so both
are derived again.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from attendance import kiosk, notices, rules
from attendance.models import AttendanceEvent, CameraRole, Group, RegisterDay
from attendance.register_live import register_rows_push
from attendance.rule_selectors import GroupDayRule, group_day_rules, people_day_rules
from attendance.services import attendance_mark
from faceapp.clock import site_date
from identity.models import MatchLog, Person, enrolment_complete
from identity.selectors import evidence_logs

KIOSK_TOGGLE = "in-or-out"  # a kiosk visit's first sighting: IN, or OUT when the person is in now (kiosk_kind)
# What a visit at a camera of each role writes: (kind at its first sighting, kind at its last).
VISIT_KINDS = {
    CameraRole.ENTRY: (AttendanceEvent.IN, None),
    CameraRole.EXIT: (None, AttendanceEvent.OUT),
    CameraRole.PRESENCE: (AttendanceEvent.SEEN, AttendanceEvent.SEEN),
    CameraRole.KIOSK: (KIOSK_TOGGLE, None),
}
NO_GROUP = GroupDayRule(group_id=None, schedule_id=None, rule=rules.DayRule(), holiday=False)


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


def sighting_record(*, person_id: int, seen_at: dt.datetime, camera_id: int | None, log_id: int | None,
                    end: bool) -> None:
    """A named visit's sighting: the day's first/last-seen record widened, and the register's event
    written (`end`: the visit's last sighting). Idempotent: a sighting recorded twice (a task run
    again after its worker died) writes nothing more."""
    attendance_mark(person_ids=[person_id], seen_at=seen_at, camera_id=camera_id)
    visit_event_record(person_id=person_id, seen_at=seen_at, camera_id=camera_id, log_id=log_id, end=end)


def sighting_holds(*, person_id: int, log_id: int, seen_at: dt.datetime) -> bool:
    """A queued sighting still stands: its visit counts for the person and spans `seen_at`. A
    review that moved the visit since wrote the events for whom it counts for now (visit_recount);
    an erased person's visits are gone."""
    holds = Q(last_seen__gte=seen_at) | Q(last_seen__isnull=True, created_at=seen_at)
    return evidence_logs(person_id=person_id).filter(holds, pk=log_id, created_at__lte=seen_at).exists()


def visit_event_record(*, person_id: int, seen_at: dt.datetime, camera_id: int | None, log_id: int | None,
                       end: bool) -> None:
    """A named visit's sighting as its camera's role says (`end`: the visit's last sighting),
    then the person's days it touches derived again."""
    kind = VISIT_KINDS[camera_role(camera_id=camera_id)][1 if end else 0]
    toggled = kind == KIOSK_TOGGLE
    if toggled:
        kind = kiosk_kind(person_id=person_id, at=seen_at, log_id=log_id)
    if kind is not None and _event_write(person_id=person_id, at=seen_at, kind=kind, camera_id=camera_id,
                                         log_id=log_id):
        person_days_derive(person_id=person_id, days=days_touched(seen_at))
        if toggled:
            kiosk.kiosk_greet(person_id=person_id, camera_id=camera_id, kind=kind, at=seen_at)


def kiosk_kind(*, person_id: int, at: dt.datetime, log_id: int | None) -> str | None:
    """A kiosk visit's event (as Odoo's kiosk toggles): OUT when the person is in now (their last
    IN or OUT before `at`, in a day's window that holds `at`, is an IN), else IN; None when the
    visit has its event already (a visit extended sends its opening again)."""
    in_or_out = (AttendanceEvent.IN, AttendanceEvent.OUT)
    if AttendanceEvent.objects.filter(person_id=person_id, log_id=log_id, kind__in=in_or_out,
                                      voided_at__isnull=True).exists():
        return None
    zone, starts = timezone.get_default_timezone(), []
    for day in days_touched(at):
        for group in people_day_rules(person_ids=[person_id], day=day)[person_id].groups or (NO_GROUP,):
            start, end = rules.day_window(day, group.rule, zone)
            if start <= at < end:
                starts.append(start)
    last = (AttendanceEvent.objects.filter(person_id=person_id, voided_at__isnull=True, kind__in=in_or_out,
                                           at__gte=min(starts, default=at), at__lt=at)
            .order_by("-at", "-id").values_list("kind", flat=True).first())
    return AttendanceEvent.OUT if last == AttendanceEvent.IN else AttendanceEvent.IN


def visit_recount(*, log_id: int, seen_at: dt.datetime, before_person_id: int | None,
                  after_person_id: int | None) -> None:
    """A review moved a visit (first seen at `seen_at`): its events are voided, and written again
    for whom it counts for now."""
    now = timezone.now()
    # A sighting of the same visit recorded meanwhile: lock its events before voiding them.
    with transaction.atomic():
        voided = list(AttendanceEvent.objects.select_for_update().filter(log_id=log_id, voided_at__isnull=True)
                      .exclude(kind=AttendanceEvent.MARK))
        AttendanceEvent.objects.filter(pk__in=[event.pk for event in voided]).update(
            voided_at=now, voided_why="review: the visit counts for someone else")
        if after_person_id is not None:
            for kind, at, camera_id in _visit_kinds(log_id=log_id, voided=voided, person_id=after_person_id):
                _event_write(person_id=after_person_id, at=at, kind=kind, camera_id=camera_id, log_id=log_id)
    touched = {day for event in voided for day in days_touched(event.at)}
    for person_id in {event.person_id for event in voided} | {before_person_id, after_person_id} - {None}:
        person_days_derive(person_id=person_id, days=touched | days_touched(seen_at))


def _visit_kinds(*, log_id: int, voided: list[AttendanceEvent], person_id: int,
                 ) -> list[tuple[str, dt.datetime, int | None]]:
    """The events a visit gives (to `person_id`): those it had, else those its log says (a face
    that counted for nobody)."""
    if voided:
        return [(event.kind, event.at, event.camera_id) for event in voided]
    log = MatchLog.objects.filter(pk=log_id).values("created_at", "last_seen", "snapshot__camera_id").first()
    if log is None:
        return []
    camera_id = log["snapshot__camera_id"]
    first, last = VISIT_KINDS[camera_role(camera_id=camera_id)]
    if first == KIOSK_TOGGLE:
        first = kiosk_kind(person_id=person_id, at=log["created_at"], log_id=log_id)
    kinds = [(first, log["created_at"], camera_id)] if first else []
    return kinds + ([(last, log["last_seen"] or log["created_at"], camera_id)] if last else [])


def days_touched(at: dt.datetime) -> set[dt.date]:
    """The days an event may count for: its own, and the one before (a night shift's end)."""
    return days_counting(site_date(at))


def days_counting(day: dt.date) -> set[dt.date]:
    """The days whose register a sighting on `day` may count for: `day` and the day before."""
    return {day, day - dt.timedelta(days=1)}


def person_day_derive(*, person_id: int, day: dt.date, now: dt.datetime | None = None) -> list[RegisterDay]:
    """Derive the person's day in each of their groups (one row without a group when in none)."""
    return people_day_derive(person_ids=[person_id], day=day, now=now).get(person_id, [])


def people_day_derive(*, person_ids: list[int], day: dt.date, now: dt.datetime | None = None,
                      ) -> dict[int, list[RegisterDay]]:
    """Derive each person's day from the events of the day's window, the schedule in force,
    closures, planned absences and marks: about a dozen queries whatever the number of people.
    Days before a person was enrolled, and days to come, are not theirs: nothing is derived."""
    now, zone = now or timezone.now(), timezone.get_default_timezone()
    enrolled = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "created_at"))
    person_ids = [pk for pk in person_ids if pk in enrolled and site_date(enrolled[pk]) <= day <= site_date(now)]
    if not person_ids:
        return {}
    expected = people_day_rules(person_ids=person_ids, day=day)
    ruled = {person_id: expected[person_id].groups or (NO_GROUP,) for person_id in person_ids}
    windows = [rules.day_window(day, group.rule, zone) for groups in ruled.values() for group in groups]
    events: dict[int, list[rules.Event]] = {person_id: [] for person_id in person_ids}
    for person_id, at, kind in AttendanceEvent.objects.filter(
            person_id__in=person_ids, voided_at__isnull=True, at__gte=min(start for start, _ in windows),
            at__lt=max(end for _, end in windows)).exclude(kind=AttendanceEvent.MARK).values_list(
            "person_id", "at", "kind"):
        # A member confirmed in a roll call's photo was seen then, as a photo's face is.
        events[person_id].append(rules.Event(at, rules.SEEN if kind == AttendanceEvent.ROLL_CALL else kind))
    marks: dict[int, list[AttendanceEvent]] = {person_id: [] for person_id in person_ids}
    for mark in AttendanceEvent.objects.filter(person_id__in=person_ids, kind=AttendanceEvent.MARK, day=day,
                                               voided_at__isnull=True).order_by("-created_at", "-id"):
        marks[mark.person_id].append(mark)
    wanted, news_until = {}, {}
    for person_id in person_ids:
        absence_code_id = expected[person_id].absence_code_id
        for group in ruled[person_id]:
            result = rules.derive_day(day=day, rule=group.rule, zone=zone, events=events[person_id], now=now,
                                      holiday=group.holiday, excused=absence_code_id is not None)
            mark = next((mark for mark in marks[person_id] if mark.group_id in (None, group.group_id)), None)
            if mark is None and result.status == rules.NOT_EXPECTED and result.first_in is None:
                continue  # not expected and not seen: nothing to say of the day
            status = mark.status if mark else result.status
            wanted[(person_id, group.group_id)] = dict(
                status=status, schedule_id=group.schedule_id,
                code_id=mark.code_id if mark else absence_code_id if status == rules.EXCUSED else None,
                first_in=result.first_in, last_out=result.last_out, minutes_on_site=result.minutes_on_site,
                minutes_late=result.minutes_late, minutes_early=result.minutes_early,
                forgotten_out=result.forgotten_out, in_now=result.in_now, marked=mark is not None, computed_at=now)
            news_until[(person_id, group.group_id)] = rules.day_window(day, group.rule, zone)[1]
    rows = _rows_write(person_ids=person_ids, day=day, wanted=wanted)
    register_rows_push(rows=[row for person_rows in rows.values() for row in person_rows], derived_at=now)
    for person_rows in rows.values():
        for row in person_rows:  # late or absent: told once (attendance.notices), while the day's window is open
            notices.day_noticed(row=row, now=now, news_until=news_until[(row.person_id, row.group_id)])
    return rows


def _rows_write(*, person_ids: list[int], day: dt.date, wanted: dict) -> dict[int, list[RegisterDay]]:
    """Write the derived rows: changed ones updated, new ones created, those no longer derived deleted."""
    fields = list(next(iter(wanted.values())).keys()) if wanted else []
    rows: dict[int, list[RegisterDay]] = {person_id: [] for person_id in person_ids}
    # Two workers deriving the same person-day at once: the rows are locked, each derives from committed events.
    with transaction.atomic():
        existing = {(row.person_id, row.group_id): row for row in RegisterDay.objects.select_for_update().filter(
            person_id__in=person_ids, day=day)}
        stale = [row.pk for key, row in existing.items() if key not in wanted]
        changed, created = [], []
        for (person_id, group_id), values in wanted.items():
            row = existing.get((person_id, group_id))
            if row is None:
                row = RegisterDay(person_id=person_id, group_id=group_id, day=day, **values)
                created.append(row)
            elif any(getattr(row, name) != value for name, value in values.items() if name != "computed_at"):
                for name, value in values.items():
                    setattr(row, name, value)
                changed.append(row)
            rows[person_id].append(row)
        if stale:
            RegisterDay.objects.filter(pk__in=stale).delete()
        RegisterDay.objects.bulk_create(created)
        if changed:
            RegisterDay.objects.bulk_update(changed, fields)
    return rows


def person_days_derive(*, person_id: int, days: set[dt.date]) -> None:
    for day in sorted(days):
        person_day_derive(person_id=person_id, day=day)


CHUNK = 500  # people derived in one batch: bounded memory and statement size


def register_due(*, now: dt.datetime | None = None) -> int:
    """Derive the days the clock moved on without a sighting: members of a group with sessions on
    today or yesterday (a night shift) whose day is not derived yet, not decided yet (pending), or
    still open (in now). Returns how many people's days were derived."""
    now = now or timezone.now()
    derived = 0
    for day in (site_date(now) - dt.timedelta(days=1), site_date(now)):
        group_ids = list(Group.objects.filter(schedules__starts_on__lte=day).distinct().values_list("pk", flat=True))
        derived += groups_day_due(group_ids=group_ids, day=day, now=now)
    return derived


def groups_day_due(*, group_ids: list[int], day: dt.date, now: dt.datetime) -> int:
    """register_due for some groups and a day (also the digest's, before it reads the day)."""
    expecting = [rule.group_id for rule in group_day_rules(group_ids=group_ids, day=day).values() if rule.rule.sessions]
    settled = RegisterDay.objects.filter(group_id__in=expecting, day=day, in_now=False).exclude(
        status=rules.PENDING).values_list("person_id", "group_id")
    members = Group.members.through.objects.filter(enrolment_complete("person_id"), group_id__in=expecting)
    members = members.values_list("person_id", "group_id")
    due, derived = sorted({person_id for person_id, _ in set(members) - set(settled)}), 0
    for start in range(0, len(due), CHUNK):
        derived += len(people_day_derive(person_ids=due[start:start + CHUNK], day=day, now=now))
    return derived


def day_derive_all(*, day: dt.date) -> int:
    """Derive everyone's day again (a schedule fixed after the fact, or the bench): the members of
    every group and whoever was seen. Returns the rows written."""
    people = set(Group.members.through.objects.values_list("person_id", flat=True))
    start, end = rules.day_window(day, rules.DayRule(), timezone.get_default_timezone())
    people |= set(AttendanceEvent.objects.filter(at__gte=start - dt.timedelta(days=1), at__lt=end)
                  .values_list("person_id", flat=True))
    people, written = sorted(people), 0
    for first in range(0, len(people), CHUNK):
        derived = people_day_derive(person_ids=people[first:first + CHUNK], day=day)
        written += sum(len(rows) for rows in derived.values())
    return written
