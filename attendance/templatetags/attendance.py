"""{% attendance_today_card %}: the dashboard's attendance card as the page opens (then
ws/dashboard/'s `attendance.row` events move people in it); {% person_attendance person %}: the
days on a person's page, and their contacts (operators add and remove them there);
{% email_off_notice %}: "e-mail is off" where digests and contacts are configured, when no SMTP
server is set. Identity's pages show attendance through these, never importing it."""

from django import template

from attendance.contacts import groups_notifying, person_contacts
from attendance.forms import ContactForm
from attendance.presenters import DASHBOARD_LIST, attendance_today
from attendance.selectors import person_days
from faceapp.mail import email_enabled

register = template.Library()
PERSON_DAYS = 60


@register.inclusion_tag("attendance/_dashboard_card.html")
def attendance_today_card() -> dict:
    return {"attendance": attendance_today(), "length": DASHBOARD_LIST}


@register.inclusion_tag("attendance/_person_days.html", takes_context=True)
def person_attendance(context, person) -> dict:
    return {"records": person_days(person=person, limit=PERSON_DAYS), "person": person,
            "contacts": person_contacts(person=person), "notifying": groups_notifying(person=person),
            "contact_form": ContactForm(), "csrf_token": context.get("csrf_token")}


@register.inclusion_tag("attendance/_email_off.html")
def email_off_notice() -> dict:
    """Nothing where e-mail is on; where it is off, a line saying that mail goes to the log."""
    return {"email_enabled": email_enabled()}
