"""Alert rules: "stranger at camera X between HH:MM and HH:MM" (a window may cross midnight),
"person P seen", "person P not arrived by HH:MM" on chosen weekdays (checked every minute by
celery beat), "person P (or anyone) late / absent" (the register's attendance events). A rule
that fires publishes an `alert` event: it goes to the rule's chosen destinations, to the
dashboard (which lists it, repeats folded), to the stream and so to MQTT.

A visit fires its rules once (a track joining an open visit publishes nothing again:
identity.services.live); "stranger at" and "person seen" rules also keep quiet for their
cooldown after firing."""

import datetime as dt

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from attendance.models import AttendanceRecord
from faceapp.clock import site_date
from integrations.events import event_publish
from integrations.models import AlertRule, Event

# Which events can fire which kind of rule.
RULE_KINDS_BY_EVENT = {Event.STRANGER_SEEN: AlertRule.STRANGER_AT, Event.VISIT_NAMED: AlertRule.PERSON_SEEN,
                       Event.ATTENDANCE_LATE: AlertRule.LATE, Event.ATTENDANCE_ABSENT: AlertRule.ABSENT}
ANYONE_KINDS = (AlertRule.LATE, AlertRule.ABSENT)  # a rule of these kinds without a person: anyone


def in_window(moment: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    """start <= moment < end; a window whose end is before its start crosses midnight (18:00-07:00);
    no window, or start == end: all day."""
    if start is None or end is None or start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def rule_matches(rule: AlertRule, event: Event) -> bool:
    if rule.kind == AlertRule.STRANGER_AT:
        at_camera = rule.camera_id is None or rule.camera_id == event.camera_id
        return at_camera and in_window(timezone.localtime(event.occurred_at).time(), rule.start_time, rule.end_time)
    if rule.kind == AlertRule.PERSON_SEEN:
        return event.person_id is not None and event.person_id == rule.person_id
    if rule.kind in ANYONE_KINDS:
        return rule.person_id is None or rule.person_id == event.person_id
    return False


def alerts_evaluate(*, event: Event) -> list[Event]:
    """The alerts this event fires (an event's commit work: integrations.events)."""
    kind = RULE_KINDS_BY_EVENT.get(event.type)
    if kind is None:
        return []
    rules = AlertRule.objects.filter(active=True, kind=kind).select_related("camera", "person")
    if kind == AlertRule.PERSON_SEEN:
        rules = rules.filter(person_id=event.person_id)
    elif kind in ANYONE_KINDS:
        rules = rules.filter(Q(person__isnull=True) | Q(person_id=event.person_id))
    else:
        rules = rules.filter(Q(camera__isnull=True) | Q(camera_id=event.camera_id))
    return [alert_fire(rule=rule, cause=event) for rule in rules
            if rule_matches(rule, event) and _quiet_ended(rule, event)]


def _quiet_ended(rule: AlertRule, event: Event) -> bool:
    """Whether the rule may fire for this event: not within its cooldown of another of its alerts (the
    events' own times, so a late or replayed event is judged when it happened). Two processes publishing
    at once for one rule: the conditional UPDATE lets one of them fire."""
    if rule.kind not in AlertRule.COOLDOWN_KINDS or not rule.cooldown_minutes:
        return True
    at, gap = event.occurred_at, dt.timedelta(minutes=rule.cooldown_minutes)
    apart = Q(last_fired_at__isnull=True) | Q(last_fired_at__lte=at - gap) | Q(last_fired_at__gte=at + gap)
    return bool(AlertRule.objects.filter(apart, pk=rule.pk).update(last_fired_at=_latest_fired(at)))


def _latest_fired(at: dt.datetime):
    return Greatest(Coalesce(F("last_fired_at"), Value(at)), Value(at))


def _message(rule: AlertRule, cause: Event | None) -> str:
    if rule.kind == AlertRule.STRANGER_AT:
        who = f"Stranger {cause.provisional}" if cause and cause.provisional else "A stranger"
        return f"{who} at {cause.camera.name if cause and cause.camera else 'a camera'}"
    if rule.kind == AlertRule.PERSON_SEEN:
        where = f" at {cause.camera.name}" if cause and cause.camera else ""
        return f"{rule.person.name} seen{where}"
    if rule.kind in ANYONE_KINDS:
        who = cause.person.name if cause and cause.person else "Someone"
        group = (cause.data.get("group") or {}).get("name") if cause else None
        late = f" by {cause.data['minutes_late']} min" if cause and cause.data.get("minutes_late") else ""
        return f"{who} {rule.kind}{late}" + (f" ({group}, {cause.data.get('day')})" if group else "")
    return f"{rule.person.name} has not arrived by {rule.deadline:%H:%M}"


def alert_fire(*, rule: AlertRule, cause: Event | None, occurred_at: dt.datetime | None = None) -> Event:
    """Publish the rule's `alert` event (what caused it beside it) and note when it fired (its
    cause's time: the cooldown counts from there)."""
    occurred_at = occurred_at or (cause.occurred_at if cause else timezone.now())
    AlertRule.objects.filter(pk=rule.pk).update(last_fired_at=_latest_fired(occurred_at))
    return event_publish(
        type=Event.ALERT, occurred_at=occurred_at,
        camera=cause.camera if cause else None,
        person=rule.person if rule.person_id else (cause.person if cause else None),
        provisional=cause.provisional if cause else None, score=cause.score if cause else None,
        visit_id=cause.visit_id if cause else None,
        data={"rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind}, "message": _message(rule, cause),
              "cause": {"id": str(cause.id), "type": cause.type} if cause else None},
    )


def _deadline_passed(rule: AlertRule, now: dt.datetime) -> bool:
    local = timezone.localtime(now)
    return local.weekday() in (rule.days or []) and local.time() >= rule.deadline


def alerts_not_arrived_check(*, now: dt.datetime | None = None) -> list[Event]:
    """Fire each "not arrived by" rule whose deadline passed today (local time, on one of its
    days) for a person with no attendance today; once a day each (the beat task, every minute)."""
    now = now or timezone.now()
    today = site_date(now)
    fired = []
    rules = AlertRule.objects.filter(active=True, kind=AlertRule.NOT_ARRIVED, person__isnull=False,
                                     deadline__isnull=False).select_related("person")
    for rule in rules:
        if not _deadline_passed(rule, now) or rule.last_fired_day == today:
            continue
        if AttendanceRecord.objects.filter(person_id=rule.person_id, day=today).exists():
            continue
        # Two beat schedulers (or a slow minute) must not fire one rule twice the same day.
        taken = AlertRule.objects.filter(pk=rule.pk).exclude(last_fired_day=today).update(last_fired_day=today)
        if taken:
            deadline = timezone.make_aware(dt.datetime.combine(today, rule.deadline))
            fired.append(alert_fire(rule=rule, cause=None, occurred_at=deadline))
    return fired
