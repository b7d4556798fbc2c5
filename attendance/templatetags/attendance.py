"""{% attendance_today_card %}: the dashboard's attendance card as the page opens (then
ws/dashboard/'s `attendance.row` events move people in it); {% person_attendance person %}: the
days on a person's page. Identity's pages show attendance through these, never importing it."""

from django import template

from attendance.presenters import DASHBOARD_LIST, attendance_today
from attendance.selectors import person_days

register = template.Library()
PERSON_DAYS = 60


@register.inclusion_tag("attendance/_dashboard_card.html")
def attendance_today_card() -> dict:
    return {"attendance": attendance_today(), "length": DASHBOARD_LIST}


@register.inclusion_tag("attendance/_person_days.html")
def person_attendance(person) -> dict:
    return {"records": person_days(person=person, limit=PERSON_DAYS)}
