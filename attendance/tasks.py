"""The scheduler's part of the register: days the clock decides (absent once a group's absent
time passes, a forgotten OUT closed once the day's window ends) are derived every minute; the
mail that is due (absence notices to contacts, each group's daily digest) is sent every minute."""

from celery import shared_task

from attendance.digest import digests_due
from attendance.notices import contact_notices_send
from attendance.register import register_due


@shared_task(name="attendance.register_due")
def register_due_task() -> int:
    return register_due()


@shared_task(name="attendance.notices_due")
def notices_due_task() -> int:
    return contact_notices_send() + digests_due()
