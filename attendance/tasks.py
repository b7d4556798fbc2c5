"""The scheduler's part of the register: days the clock decides (absent once a group's absent
time passes, a forgotten OUT closed once the day's window ends) are derived every minute."""

from celery import shared_task

from attendance.register import register_due


@shared_task(name="attendance.register_due")
def register_due_task() -> int:
    return register_due()
