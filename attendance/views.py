"""Attendance pages: who was present on a day, arrivals per hour, CSV export of a date range; a
person's contacts (added and removed from the person's page); the kiosk at the door."""

import csv
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from attendance.contacts import contact_add, contact_remove
from attendance.forms import ContactForm
from attendance.presenters import attendance_payload, kiosk_greeting
from attendance.selectors import EXPORT_COLUMNS, arrivals_per_hour, attendance_export_rows
from faceapp.clock import site_date
from faceapp.spreadsheet import csv_safe
from identity.charts import bar_chart_svg
from identity.models import Person
from identity.roles import OPERATOR, role_required
from identity.views.refusals import refused

MAX_EXPORT_DAYS = 366
# A day's bounds, its neighbours' links and the time-zone shift must stay inside Python's dates.
FIRST_DAY, LAST_DAY = dt.date.min + dt.timedelta(days=2), dt.date.max - dt.timedelta(days=2)


def _parse_day(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


@role_required(OPERATOR)
def attendance_day(request, day: str | None = None):
    the_day = site_date() if day is None else _parse_day(day)
    if the_day is None:
        raise Http404(f"A day is written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}.")
    attendance = attendance_payload(day=the_day)
    arrivals = arrivals_per_hour(day=the_day)
    context = {
        "day": the_day,
        "is_today": the_day == site_date(),
        "present": attendance["present"],
        "absent": attendance["absent"],
        "previous_day": the_day - dt.timedelta(days=1),
        "next_day": the_day + dt.timedelta(days=1),
        "arrivals_chart": bar_chart_svg(arrivals, [f"{hour:02d}" for hour in range(24)], title="Arrivals per hour",
                                        x_label=f"hour of the day ({settings.TIME_ZONE})", y_label="people"),
        "arrivals_total": sum(arrivals),
    }
    return render(request, "attendance/attendance_day.html", context)


@role_required(OPERATOR)
def attendance_export(request):
    """GET start=YYYY-MM-DD&end=YYYY-MM-DD (both default to today)[&absent=1] → CSV attachment;
    absent=1 adds a row without times for each person expected that day but not seen."""
    today = site_date().isoformat()
    start, end = _parse_day(request.GET.get("start") or today), _parse_day(request.GET.get("end") or today)
    if start is None or end is None:
        return HttpResponseBadRequest(
            f"start and end are days written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}.", content_type="text/plain"
        )
    if end < start or (end - start).days >= MAX_EXPORT_DAYS:
        return HttpResponseBadRequest(
            f"end must be on or after start, at most {MAX_EXPORT_DAYS} days later.", content_type="text/plain"
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-{start}-{end}.csv"'
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for row in attendance_export_rows(start=start, end=end, with_absent=request.GET.get("absent") == "1"):
        writer.writerow([csv_safe(cell) for cell in row])
    return response


@role_required(OPERATOR)
@require_POST
def person_contact_add(request, person_id: int):
    """POST name, email: a contact told of the person's absences (where their group says so)."""
    person = get_object_or_404(Person, pk=person_id)
    form = ContactForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(f"{form[name].label}: {' '.join(errors)}"
                                         for name, errors in form.errors.items()))
        return redirect("person-detail", person_id=person.pk)
    try:
        contact = contact_add(person=person, name=form.cleaned_data["name"], email=form.cleaned_data["email"])
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"{contact.name} ({contact.email}) added to {person.name}'s contacts.")
    return redirect("person-detail", person_id=person.pk)


@role_required(OPERATOR)
@require_POST
def person_contact_delete(request, person_id: int, contact_id: int):
    # The person by their key first: a foreign-key lookup is not range-checked (a huge id would be a 500).
    contact = get_object_or_404(get_object_or_404(Person, pk=person_id).contacts, pk=contact_id)
    contact_remove(contact=contact)
    messages.success(request, f"{contact.name} removed from the contacts.")
    return redirect("person-detail", person_id=person_id)


def kiosk(request):
    """The check-in page of a tablet at the door (public, like the login page): it shows no data by
    itself; the camera's device token it is given opens the camera's socket (README "Kiosk")."""
    return render(request, "attendance/kiosk.html", {"camera_fps": settings.FACEAPP_CAMERA_FPS,
                                                     "stranger": kiosk_greeting(name=None)})
