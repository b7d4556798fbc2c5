"""The daily digest: once a group's last session of a day has ended (a night shift's the next
morning), the users responsible for it who have an e-mail address get one message for that group
and day: the counts, and who was absent, late, excused or left early. Sent once per group and
day (a Notice claims it: attendance.notices), by the minute task, within STALE_AFTER of the end;
a closed day, or one nobody was expected on, has none."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from attendance import rules
from attendance.models import Group, Notice, RegisterDay
from attendance.notices import MAIL_ATTEMPTS, notice_claim, notice_mail
from attendance.register import groups_day_due
from attendance.rule_selectors import group_day_rules
from attendance.sheets import daily_register
from faceapp.clock import site_date

ONE_DAY = dt.timedelta(days=1)
STALE_AFTER = dt.timedelta(hours=12)  # a day ended longer ago (the server was down, a new group) gets no digest
# The lists a digest has, in its order: (status, heading).
SECTIONS = [(rules.ABSENT, "Absent"), (rules.LATE, "Late"), (rules.LEFT_EARLY, "Left early"),
            (rules.EXCUSED, "Excused")]


@dataclass
class Digest:
    group: Group
    day: dt.date
    counts: dict[str, int]  # daily_register's: by status, "expected"
    sections: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)  # heading, [(name, detail)]

    @property
    def subject(self) -> str:
        absent, late = self.counts[rules.ABSENT], self.counts[rules.LATE]
        return f"{self.group.name}, {self.day:%a %d %b %Y}: {absent} absent, {late} late"


def group_digest(*, group: Group, day: dt.date) -> Digest:
    register = daily_register(group=group, day=day)
    digest = Digest(group=group, day=day, counts=register.counts)
    for status, heading in SECTIONS:
        digest.sections.append((heading, [(person.name, row_detail(row)) for person, row in register.rows
                                          if row and row.status == status]))
    return digest


def row_detail(row: RegisterDay) -> str:
    """What a digest says beside a name: minutes late or early with the time, the code, a mark."""
    parts = []
    if row.status == rules.LATE and row.minutes_late:
        parts.append(f"{row.minutes_late} min late" + (f", in at {timezone.localtime(row.first_in):%H:%M}"
                                                         if row.first_in else ""))
    if row.status == rules.LEFT_EARLY and row.minutes_early:
        parts.append(f"{row.minutes_early} min early" + (f", out at {timezone.localtime(row.last_out):%H:%M}"
                                                          if row.last_out else ""))
    if row.code:
        parts.append(row.code.label)
    if row.marked:
        parts.append("marked by hand")
    return "; ".join(parts)


def digest_recipients(group: Group) -> list[str]:
    return sorted(set(group.responsible.filter(is_active=True).exclude(email="").values_list("email", flat=True)))


def digests_due(*, now: dt.datetime | None = None) -> int:
    """Send each digest whose group-day has ended and that is not sent yet (the minute task).
    Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for day in (site_date(now) - ONE_DAY, site_date(now)):
        done = Notice.objects.filter(kind=Notice.DIGEST, day=day).filter(
            Q(sent_at__isnull=False) | Q(attempts__gte=MAIL_ATTEMPTS)).values("group_id")
        groups = (Group.objects.filter(schedules__starts_on__lte=day, responsible__isnull=False)
                  .exclude(pk__in=done).distinct())
        for group in groups:
            sent += _digest_send(group=group, day=day, now=now)
    return sent


def _digest_send(*, group: Group, day: dt.date, now: dt.datetime) -> bool:
    expected = group_day_rules(group_ids=[group.pk], day=day)[group.pk]
    sessions = rules.day_sessions(day, expected.rule, timezone.get_default_timezone())
    ended = max((session.end for session in sessions), default=None)
    if ended is None or not ended <= now < ended + STALE_AFTER or expected.holiday:
        return False
    to = digest_recipients(group)
    if not to:
        return False
    groups_day_due(group_ids=[group.pk], day=day, now=now)  # the days the clock decided, before they are read
    digest = group_digest(group=group, day=day)
    if not digest.counts["expected"]:
        return False  # nobody was expected: nothing to tell
    notice = notice_claim(kind=Notice.DIGEST, group=group, day=day) or Notice.objects.get(
        kind=Notice.DIGEST, group=group, day=day)
    context = {"digest": digest}
    return notice_mail(notice=notice, now=now, to=to, subject=digest.subject,
                       body=render_to_string("attendance/mail/digest.txt", context),
                       html=render_to_string("attendance/mail/digest.html", context))
