"""What a day expects of people, for the register's derivation: per group, the rule of the
schedule in force (that weekday's sessions, its minutes), whether a closure covers the day, and
per person whether a planned absence does. A bounded number of queries for one person or a whole
group, whatever the number of people, groups or schedules."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass


from attendance import rules
from attendance.models import Closure, Group, PlannedAbsence, Schedule, ScheduleSession
from identity.models import enrolment_complete


@dataclass(frozen=True)
class GroupDayRule:
    group_id: int
    schedule_id: int | None  # None: the group has no schedule in force that day (nobody is expected)
    rule: rules.DayRule
    holiday: bool  # a closure for every group, or for this one, covers the day


@dataclass(frozen=True)
class PersonDayRules:
    person_id: int
    day: dt.date
    groups: tuple[GroupDayRule, ...]  # by group name; empty for a person in no group
    absence_code_id: int | None  # the planned absence covering the day, if any: excused

    @property
    def excused(self) -> bool:
        return self.absence_code_id is not None


def schedule_in_force(*, group: Group, day: dt.date) -> Schedule | None:
    """The group's latest schedule that starts on or before `day`."""
    return group.schedules.filter(starts_on__lte=day).order_by("-starts_on").first()


def day_rule_of(schedule: Schedule | None, sessions: list[ScheduleSession]) -> rules.DayRule:
    """The rule engine's rule for one day: that day's sessions and the schedule's minutes."""
    if schedule is None:
        return rules.DayRule()
    times = tuple(rules.SessionTimes(session.start, session.end) for session in sessions)
    return rules.DayRule(sessions=times, grace_late=schedule.grace_late, grace_early=schedule.grace_early,
                         absent_after=schedule.absent_after, checkin_before=schedule.checkin_before,
                         checkout_after=schedule.checkout_after, close_out=schedule.close_out)


def group_day_rules(*, group_ids: list[int], day: dt.date) -> dict[int, GroupDayRule]:
    """Each group's rule for `day`: four queries (schedules, that weekday's sessions, two of closures)."""
    in_force: dict[int, Schedule] = {}
    # Newest first: the first seen of each group is the one in force (a group has a few schedules, not thousands).
    for schedule in Schedule.objects.filter(group_id__in=group_ids, starts_on__lte=day).order_by("group_id", "-starts_on"):
        in_force.setdefault(schedule.group_id, schedule)
    sessions: dict[int, list[ScheduleSession]] = defaultdict(list)
    chosen = [schedule.pk for schedule in in_force.values()]
    for session in ScheduleSession.objects.filter(schedule_id__in=chosen, weekday=day.weekday()).order_by("start"):
        sessions[session.schedule_id].append(session)
    closures = Closure.objects.filter(first_day__lte=day, last_day__gte=day)
    closed_for = set(Closure.groups.through.objects.filter(closure__in=closures).values_list("group_id", flat=True))
    closed_for_all = closures.filter(groups=None).exists()
    result = {}
    for group_id in group_ids:
        schedule = in_force.get(group_id)
        rule = day_rule_of(schedule, sessions[schedule.pk] if schedule else [])
        result[group_id] = GroupDayRule(group_id, schedule.pk if schedule else None, rule,
                                        closed_for_all or group_id in closed_for)
    return result


def people_day_rules(*, person_ids: list[int], day: dt.date) -> dict[int, PersonDayRules]:
    """Each person's rules for `day`: six queries at most whatever the number of people (their groups,
    group_day_rules' four, the planned absences). An incomplete entry (enrolment_complete: a failed
    enrolment) is in no group's day: never expected."""
    memberships: dict[int, list[int]] = defaultdict(list)
    rows = (Group.members.through.objects.filter(enrolment_complete("person_id"), person_id__in=person_ids)
            .order_by("group__name").values_list("person_id", "group_id"))
    for person_id, group_id in rows:
        memberships[person_id].append(group_id)
    by_group = group_day_rules(group_ids=sorted({g for groups in memberships.values() for g in groups}), day=day)
    absences = dict(PlannedAbsence.objects.filter(person_id__in=person_ids, first_day__lte=day, last_day__gte=day)
                    .values_list("person_id", "code_id"))
    return {person_id: PersonDayRules(person_id, day, tuple(by_group[g] for g in memberships[person_id]),
                                      absences.get(person_id))
            for person_id in person_ids}


def person_day_rules(*, person_id: int, day: dt.date) -> PersonDayRules:
    return people_day_rules(person_ids=[person_id], day=day)[person_id]


def members_day_rules(*, group: Group, day: dt.date) -> tuple[GroupDayRule, dict[int, int | None]]:
    """A whole group's day: its rule, and each member's planned absence code (None: not away).
    Four queries for the group's rule, one for its members' absences, one for its members."""
    rule = group_day_rules(group_ids=[group.pk], day=day)[group.pk]
    member_ids = list(group.members.filter(enrolment_complete()).values_list("pk", flat=True))
    absences = dict(PlannedAbsence.objects.filter(person__attendance_groups=group, first_day__lte=day,
                                                  last_day__gte=day).values_list("person_id", "code_id"))
    return rule, {person_id: absences.get(person_id) for person_id in member_ids}
