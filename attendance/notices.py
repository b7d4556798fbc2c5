"""Attendance notifications, each told once: a Notice row (kind, person, group, day) is claimed
before anything goes out, and its unique constraint decides between two workers deriving one
day. A notice is never taken back: a day derived again (a correction marks them present after
all) keeps it, and nothing is sent again or withdrawn.

- `day_noticed` (attendance.register, after each derived row is written): a late day, or an
  unexcused absent one, derived while the day's window is open, publishes `attendance.late` /
  `attendance.absent` through integrations (webhooks, alert rules, the dashboard, the stream and
  MQTT) in the transaction that claims its notice; an absence in a group that notifies contacts
  also claims the person's contact notice (one per person and day, whatever their groups).
- `contact_notices_send` (the minute task): mails the claimed contact notices not sent yet.
  Mail is claimed before it is sent (attempt by attempt: a second scheduler never takes an
  attempt under way); a refused or unreachable server is tried again, MAIL_ATTEMPTS times.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from attendance import rules
from attendance.mail import mail_send
from attendance.models import AttendanceCode, Contact, Notice, RegisterDay
from attendance.sheets import day_category
from integrations.hooks import attendance_day
from integrations.models import Event

logger = logging.getLogger(__name__)

EVENT_KINDS = {rules.LATE: (Notice.LATE, Event.ATTENDANCE_LATE), rules.ABSENT: (Notice.ABSENT, Event.ATTENDANCE_ABSENT)}
MAIL_ATTEMPTS = 3
RETRY_AFTER = dt.timedelta(minutes=10)  # well above EMAIL_TIMEOUT: an attempt under way is never taken twice


def notice_claim(**fields) -> Notice | None:
    """The notice, inserted; None when it was already there (the constraint decides a race)."""
    try:
        with transaction.atomic():
            return Notice.objects.create(**fields)
    except IntegrityError:
        return None


def _noticed(row: RegisterDay, now: dt.datetime, news_until: dt.datetime) -> bool:
    """Late, or absent without an excuse, while the day is news (its window still open)."""
    if row.group_id is None or now >= news_until:
        return False  # a past day derived again (a schedule fixed after the fact, a restart) tells nobody
    if row.status == rules.ABSENT:
        return day_category(row) == AttendanceCode.UNEXCUSED_ABSENCE
    return row.status == rules.LATE


def day_noticed(*, row: RegisterDay, now: dt.datetime, news_until: dt.datetime) -> None:
    """Tell the world once that the person is late or absent in the row's group that day, until
    `news_until` (the end of the day's window: the last check-out allowed). No query for any other
    status (the live path derives a day at every sighting); one when told already."""
    if row.status not in EVENT_KINDS or not _noticed(row, now, news_until):
        return
    kind, event_type = EVENT_KINDS[row.status]
    who = {"person_id": row.person_id, "group_id": row.group_id, "day": row.day}
    if Notice.objects.filter(kind=kind, **who).exists():
        return
    try:
        # The notice and its event commit together, or neither does.
        with transaction.atomic():
            if notice_claim(kind=kind, sent_at=now, **who) is None:
                return  # another worker told it first
            attendance_day(type=event_type, person_id=row.person_id, data=event_data(row),
                           occurred_at=row.first_in if kind == Notice.LATE and row.first_in else now)
            if kind == Notice.ABSENT and row.group.notify_contacts and Contact.objects.filter(
                    person_id=row.person_id).exists():
                notice_claim(kind=Notice.CONTACTS, **who)
    except Exception:  # the day is written: a notice that cannot be stored is logged, never a reason to fail it
        logger.exception("could not tell that person %s is %s on %s", row.person_id, row.status, row.day)


def event_data(row: RegisterDay) -> dict:
    """`data` of attendance.late / attendance.absent (README "Events, webhooks and alerts")."""
    return {
        "day": row.day.isoformat(),
        "group": {"id": row.group.pk, "name": row.group.name},
        "status": row.status,
        "code": row.code.label if row.code else None,
        "minutes_late": row.minutes_late,
        "first_in": timezone.localtime(row.first_in).isoformat() if row.first_in else None,
        "marked": row.marked,
    }


def mail_pending(*, kind: str, now: dt.datetime):
    """Mailed notices of `kind` still to send: never sent, attempts left, none under way."""
    return (Notice.objects.filter(kind=kind, sent_at__isnull=True, attempts__lt=MAIL_ATTEMPTS)
            .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lte=now - RETRY_AFTER)))


def notice_mail(*, notice: Notice, now: dt.datetime, subject: str, body: str, to: list[str],
                html: str | None = None) -> bool:
    """Send one notice's mail unless another scheduler holds its attempt; True when the server took it."""
    taken = mail_pending(kind=notice.kind, now=now).filter(pk=notice.pk).update(
        attempts=F("attempts") + 1, attempted_at=now)
    if not taken:
        return False
    try:
        mail_send(subject=subject, body=body, to=to, html=html)
    except Exception as error:  # smtplib's and the socket's: tried again after RETRY_AFTER
        Notice.objects.filter(pk=notice.pk).update(last_error=f"{type(error).__name__}: {error}"[:300])
        logger.warning("could not mail the %s notice %s: %s", notice.kind, notice.pk, error)
        return False
    Notice.objects.filter(pk=notice.pk).update(sent_at=timezone.now(), last_error="")
    return True


def contact_notices_send(*, now: dt.datetime | None = None) -> int:
    """Mail each claimed absence notice to the person's contacts (one message to all of them).
    Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    for notice in mail_pending(kind=Notice.CONTACTS, now=now).select_related("person", "group"):
        to = list(Contact.objects.filter(person_id=notice.person_id).values_list("email", flat=True))
        if not to:  # the contacts were removed since: nobody to tell
            Notice.objects.filter(pk=notice.pk).update(attempts=MAIL_ATTEMPTS, last_error="no contact left")
            continue
        context = {"person": notice.person, "group": notice.group, "day": notice.day}
        sent += notice_mail(notice=notice, now=now, to=to,
                            subject=f"{notice.person.name}: absent on {notice.day:%A %d %B %Y}",
                            body=render_to_string("attendance/mail/absence.txt", context))
    return sent
