"""The register's pages: a group's daily register (live, with the corrections of those who may
correct it), its month sheet (CSV and XLSX of the same cells), a person's month, and the
summary of every group a user may read over a period. A group the user may not read is 404
(attendance.access); corrections go through attendance.corrections and its sentences."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from attendance.access import group_correctable, group_readable, groups_visible_to, may_correct_group
from attendance.corrections import day_mark, group_mark, mark_remove
from attendance.exports import month_sheet_table, summary_table, table_csv, table_xlsx
from attendance.forms import WHOLE_GROUP, MarkForm
from attendance.models import AttendanceCode
from attendance.register_live import register_group
from attendance.register_presenters import STATUS_LABELS, group_day_payload
from attendance.register_selectors import group_marks_in_force, in_building_now, person_month
from attendance.sheets import STATUS_LETTERS, cell_text, month_sheet, period_summary
from attendance.views import FIRST_DAY, LAST_DAY, _parse_day
from faceapp.clock import site_date
from identity.charts import bar_chart_svg
from identity.models import Person
from identity.roles import OPERATOR, VIEWER, has_role, role_required
from identity.services.realtime import replay_position
from identity.views.refusals import refused

MAX_SUMMARY_DAYS = 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day_or_404(day: str | None) -> dt.date:
    the_day = site_date() if day is None else _parse_day(day)
    if the_day is None:
        raise Http404(f"A day is written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}.")
    return the_day


@role_required(VIEWER)
def register_day(request, group_id: int, day: str | None = None):
    group = group_readable(request.user, group_id)
    the_day = _day_or_404(day)
    replay_after = replay_position(register_group(group.pk))  # read first: rows pushed after it are replayed
    register = group_day_payload(group=group, day=the_day)
    may_correct = may_correct_group(request.user, group)
    members = [(person.pk, person.name) for person in group.members.filter(active=True).order_by("name", "id")]
    context = {
        "group": group, "day": the_day, "register": register, "rows": register["rows"],
        "counts": register["counts"], "is_today": the_day == site_date(),
        "previous_day": the_day - dt.timedelta(days=1), "next_day": the_day + dt.timedelta(days=1),
        "may_correct": may_correct, "form": MarkForm(members=members) if may_correct else None,
        "replay_after": replay_after,
    }
    return render(request, "attendance/register_day.html", context)


@role_required(VIEWER)
@require_POST
def register_mark(request, group_id: int, day: str):
    """POST person (empty: the whole group), status, code, reason: a mark on each day it names."""
    group = group_correctable(request.user, group_id)
    the_day = _day_or_404(day)
    members = group.members.filter(active=True)
    form = MarkForm(request.POST, members=[(person.pk, person.name) for person in members])
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("register-day", group.pk, the_day.isoformat())
    data = form.cleaned_data
    fields = {"day": the_day, "status": data["status"], "actor": request.user, "code": data["code"],
              "reason": data["reason"]}
    try:
        if data["person"] == WHOLE_GROUP:
            count = len(group_mark(group=group, **fields))
            said = f"{count} in {group.name} marked {STATUS_LABELS[data['status']].lower()}."
        else:
            person = members.get(pk=data["person"])
            day_mark(person=person, group=group, **fields)
            said = f"{person.name} marked {STATUS_LABELS[data['status']].lower()}."
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, said)
    return redirect("register-day", group.pk, the_day.isoformat())


@role_required(VIEWER)
@require_POST
def register_mark_remove(request, group_id: int, mark_id: int):
    """Take a mark back: the day is derived again from the sightings."""
    group = group_correctable(request.user, group_id)
    mark = get_object_or_404(group_marks_in_force(group=group), pk=mark_id)
    try:
        mark_remove(mark=mark, actor=request.user)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"The mark on {mark.person.name}'s day was taken back.")
    return redirect("register-day", group.pk, mark.day.isoformat())


def _month_table(request, group_id: int, month: dt.date):
    group = group_readable(request.user, group_id)
    sheet = month_sheet(group=group, year=month.year, month=month.month)
    return group, sheet, month_sheet_table(sheet)


@role_required(VIEWER)
def register_month(request, group_id: int, month: dt.date):
    group, sheet, table = _month_table(request, group_id, month)
    count = len(sheet.days)
    lines = [{"person": person, "cells": list(zip(line[2:2 + count], cells)), "code": line[1],
              "totals": line[2 + count:]} for (person, cells, _), line in zip(sheet.rows, table[1:])]
    context = {
        "group": group, "month": month, "lines": lines, "head_lead": table[0][:2],
        "head_days": list(zip(table[0][2:2 + count], sheet.days)), "head_totals": table[0][2 + count:],
        "codes": AttendanceCode.objects.all(), "letters": _letters(),
        "previous_month": (month - dt.timedelta(days=1)).replace(day=1),
        "next_month": (month + dt.timedelta(days=32)).replace(day=1), "today": site_date(),
    }
    return render(request, "attendance/register_month.html", context)


def _letters() -> list[tuple[str, str]]:
    """The legend: (letter, status) of each status a cell may show without a code."""
    return [(letter, STATUS_LABELS[status]) for status, letter in STATUS_LETTERS.items() if letter]


def _attachment(content, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(VIEWER)
def register_month_csv(request, group_id: int, month: dt.date):
    group, _, table = _month_table(request, group_id, month)
    return _attachment(table_csv(table), content_type="text/csv; charset=utf-8",
                       filename=f"{slugify(group.name) or 'group'}-{month:%Y-%m}.csv")


@role_required(VIEWER)
def register_month_xlsx(request, group_id: int, month: dt.date):
    group, _, table = _month_table(request, group_id, month)
    return _attachment(table_xlsx(table, title=f"{group.name} {month:%Y-%m}"), content_type=XLSX,
                       filename=f"{slugify(group.name) or 'group'}-{month:%Y-%m}.xlsx")


@role_required(VIEWER)
def register_person_month(request, person_id: int, month: dt.date):
    """A person's days of the month in each group of theirs the user may read (404 when none,
    unless an operator: they see everyone, in no group too)."""
    person = get_object_or_404(Person, pk=person_id)
    days, months = person_month(person_id=person.pk, groups=groups_visible_to(request.user), year=month.year,
                                month=month.month)
    if not months and not has_role(request.user, OPERATOR):
        raise Http404("No such person in your groups.")
    lines = [{"group": line.group, "cells": [(cell_text(cell), cell) for cell in line.cells], "totals": line.totals}
             for line in months]
    context = {
        "person": person, "month": month, "days": days, "lines": lines, "letters": _letters(),
        "previous_month": (month - dt.timedelta(days=1)).replace(day=1),
        "next_month": (month + dt.timedelta(days=32)).replace(day=1), "today": site_date(),
    }
    return render(request, "attendance/register_person_month.html", context)


def period_of(query) -> tuple[dt.date, dt.date] | str:
    """from=, to= (YYYY-MM-DD; from the first of this month to today when left out), or why not."""
    today = site_date()
    first = _parse_day(query.get("from") or today.replace(day=1).isoformat())
    last = _parse_day(query.get("to") or today.isoformat())
    if first is None or last is None:
        return f"from and to are days written YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}."
    if last < first or (last - first).days >= MAX_SUMMARY_DAYS:
        return f"to must be on or after from, at most {MAX_SUMMARY_DAYS} days later."
    return first, last


def _summary(request):
    period = period_of(request.GET)
    if isinstance(period, str):
        return None, HttpResponseBadRequest(period, content_type="text/plain")
    summaries, per_day = period_summary(groups=list(groups_visible_to(request.user)), first_day=period[0],
                                        last_day=period[1])
    return (period, summaries, per_day), None


@role_required(VIEWER)
def register_summary(request):
    found, refusal = _summary(request)
    if refusal is not None:
        return refusal
    (first, last), summaries, per_day = found
    rates = [round(100 * attended / expected) if expected else 0 for _, attended, expected in per_day]
    chart = bar_chart_svg(rates, [day.strftime("%d") for day, _, _ in per_day], title="Attendance rate per day",
                          x_label=f"day ({settings.TIME_ZONE})", y_label="% attended")
    table = summary_table(summaries)
    context = {"first": first, "last": last, "header": table[0],
               "lines": [{"group": summary.group, "name": line[0], "cells": line[1:]}
                         for summary, line in zip(summaries, table[1:])],
               "chart": chart if per_day else None, "query": request.GET.urlencode(), "today": site_date()}
    return render(request, "attendance/register_summary.html", context)


@role_required(VIEWER)
def register_summary_csv(request):
    found, refusal = _summary(request)
    if refusal is not None:
        return refusal
    (first, last), summaries, _ = found
    return _attachment(table_csv(summary_table(summaries)), content_type="text/csv; charset=utf-8",
                       filename=f"register-summary-{first}-{last}.csv")


@role_required(VIEWER)
def register_summary_xlsx(request):
    found, refusal = _summary(request)
    if refusal is not None:
        return refusal
    (first, last), summaries, _ = found
    return _attachment(table_xlsx(summary_table(summaries), title=f"{first} to {last}"), content_type=XLSX,
                       filename=f"register-summary-{first}-{last}.xlsx")


@role_required(VIEWER)
def register_in_now(request):
    """Who is in the building now: today's INs without an OUT yet in the groups the user may read
    (operators: people in no group too), kept live by those groups' register sockets."""
    groups = list(groups_visible_to(request.user))
    # read first: rows pushed after them are replayed to each group's socket
    replay_after = {group.pk: replay_position(register_group(group.pk)) or "" for group in groups}
    people = in_building_now(groups=groups, day=site_date(), with_ungrouped=has_role(request.user, OPERATOR))
    live = {"day": site_date().isoformat(), "groups": {group.pk: group.name for group in groups},
            "replay_after": replay_after}
    return render(request, "attendance/register_in_now.html", {"people": people, "live": live})
