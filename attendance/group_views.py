"""Groups pages: the groups a user may see (operators and admins: all; a viewer: theirs), a group's
page (members, responsible users, schedules), and the schedule form (sessions as rows). Reading
is for whoever may read the group (attendance.access: 404 otherwise); changes are operators'
(responsible users: admins')."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from attendance.access import group_readable
from attendance.forms import (
    GroupForm, MembersAddForm, ScheduleForm, SessionFormSet, refusal_onto, session_rows_of,
)
from attendance.models import Schedule
from attendance.setup import groups as group_setup
from attendance.setup import schedules as schedule_setup
from attendance.setup_selectors import group_schedules, groups_overview, members_of_group, responsible_candidates
from faceapp.clock import site_date
from identity.forms import posted
from identity.models import Person
from identity.roles import ADMIN, OPERATOR, VIEWER, has_role, role_required
from identity.views.refusals import refused

MORE_ROWS = 3  # blank session rows added by "More rows"


def _writes_for_operators(request) -> None:
    if request.method == "POST" and not has_role(request.user, OPERATOR):
        raise PermissionDenied("Changing groups needs the operator role.")


@role_required(VIEWER)
def group_list(request):
    _writes_for_operators(request)
    form = GroupForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            group = group_setup.group_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            refusal_onto(form, error)
        else:
            messages.success(request, f"Group {group.name} created: add its members and a schedule.")
            return redirect("group-detail", group.pk)
    return render(request, "attendance/group_list.html", {"groups": groups_overview(user=request.user), "form": form,
                                                          "today": site_date()})


@role_required(VIEWER)
def group_detail(request, group_id: int):
    group = group_readable(request.user, group_id)
    _writes_for_operators(request)
    form = GroupForm(posted(request)[0], initial={"name": group.name, "kind": group.kind})
    if request.method == "POST" and form.is_valid():
        try:
            group_setup.group_update(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as error:
            refusal_onto(form, error)
        else:
            messages.success(request, f"Group {group.name} saved.")
            return redirect("group-detail", group.pk)
    context = {
        "group": group, "form": form, "members": members_of_group(group=group), "members_form": MembersAddForm(),
        "responsible": group.responsible.order_by("username"), "candidates": responsible_candidates(),
        "schedules": group_schedules(group=group, today=site_date()), "today": site_date(),
    }
    return render(request, "attendance/group_detail.html", context)


@role_required(OPERATOR)
@require_POST
def group_members(request, group_id: int):
    """POST people=codes adds them; remove=<person id> (repeated) removes those."""
    group = group_readable(request.user, group_id)
    removed = request.POST.getlist("remove")
    if removed:
        people = Person.objects.filter(pk__in=[int(pk) for pk in removed if pk.isdigit()])
        count = group_setup.group_members_remove(actor=request.user, group=group, people=people)
        messages.success(request, f"{count} removed from {group.name}.")
        return redirect("group-detail", group.pk)
    form = MembersAddForm(request.POST)
    if form.is_valid():
        count = group_setup.group_members_add(actor=request.user, group=group, people=form.cleaned_data["people"])
        messages.success(request, f"{count} added to {group.name}.")
    else:
        messages.error(request, " ".join(form.errors["people"]))
    return redirect("group-detail", group.pk)


@role_required(ADMIN)
@require_POST
def group_responsible(request, group_id: int):
    """POST user=<id> (repeated): the group's responsible users become exactly those."""
    group = group_readable(request.user, group_id)
    ids = [int(pk) for pk in request.POST.getlist("user") if pk.isdigit()]
    try:
        group_setup.group_responsible_set(actor=request.user, group=group, users=responsible_candidates().filter(pk__in=ids))
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"Responsible users of {group.name} saved.")
    return redirect("group-detail", group.pk)


@role_required(OPERATOR)
@require_POST
def group_delete(request, group_id: int):
    group = group_readable(request.user, group_id)
    try:
        group_setup.group_delete(actor=request.user, group=group)
    except ValidationError as error:
        refused(request, error)
        return redirect("group-detail", group.pk)
    messages.success(request, f"Group {group.name} deleted.")
    return redirect("group-list")


def _schedule_page(request, *, group, schedule: Schedule | None, initial: dict, rows: list[dict]):
    """The schedule form and its session rows; "More rows" (POST more=1) adds blank rows, saves nothing."""
    data = posted(request)[0]
    form = ScheduleForm(data, initial=initial)
    formset = SessionFormSet(data, initial=rows, prefix="sessions")
    if data is not None and data.get("more"):
        kept = _posted_rows(formset)
        blank = formset.total_form_count() - len(kept)
        formset = SessionFormSet(initial=kept, prefix="sessions")
        formset.extra = blank + MORE_ROWS
        form = ScheduleForm(initial={**initial, **{name: data[name] for name in ScheduleForm.base_fields if name in data}})
    elif data is not None and form.is_valid() and formset.is_valid():
        fields = {"actor": request.user, "starts_on": form.cleaned_data["starts_on"],
                  "sessions": session_rows_of(formset), **form.minutes()}
        try:
            if schedule is None:
                saved = schedule_setup.schedule_create(group=group, **fields)
            else:
                saved = schedule_setup.schedule_update(schedule=schedule, **fields)
        except ValidationError as error:
            refusal_onto(form, error)
        else:
            messages.success(request, f"Schedule of {group.name} from {saved.starts_on} saved.")
            return redirect("group-detail", group.pk)
    context = {"group": group, "schedule": schedule, "form": form, "formset": formset}
    return render(request, "attendance/schedule_form.html", context)


def _posted_rows(formset) -> list[dict]:
    """The rows as typed, kept when the page comes back with more blank rows."""
    rows = []
    for form in formset.forms:
        if form.is_valid() and form.has_changed() and not form.cleaned_data.get("DELETE"):
            rows.append({name: form.cleaned_data[name] for name in ("weekday", "start", "end", "overnight")})
    return rows


@role_required(OPERATOR)
def schedule_create(request, group_id: int):
    group = group_readable(request.user, group_id)
    latest = group.schedules.first()  # newest first: its settings are the new one's starting point
    initial = {"starts_on": site_date()}
    rows = []
    if latest is not None:
        initial |= {name: getattr(latest, name) for name in (*schedule_setup.MINUTE_FIELDS, "close_out")}
        rows = [vars(row) for row in schedule_setup.session_rows(latest)]
    return _schedule_page(request, group=group, schedule=None, initial=initial, rows=rows)


@role_required(OPERATOR)
def schedule_edit(request, schedule_id: int):
    schedule = get_object_or_404(Schedule.objects.select_related("group"), pk=schedule_id)
    if schedule.starts_on < site_date():
        messages.error(request, f"The schedule from {schedule.starts_on} is in force already and is never "
                                "rewritten: here is a new one from today, with its sessions.")
        return redirect("schedule-create", schedule.group_id)
    initial = {"starts_on": schedule.starts_on,
               **{name: getattr(schedule, name) for name in (*schedule_setup.MINUTE_FIELDS, "close_out")}}
    rows = [vars(row) for row in schedule_setup.session_rows(schedule)]
    return _schedule_page(request, group=schedule.group, schedule=schedule, initial=initial, rows=rows)


@role_required(OPERATOR)
@require_POST
def schedule_delete(request, schedule_id: int):
    schedule = get_object_or_404(Schedule.objects.select_related("group"), pk=schedule_id)
    try:
        schedule_setup.schedule_delete(actor=request.user, schedule=schedule)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"Schedule from {schedule.starts_on} deleted.")
    return redirect("group-detail", schedule.group_id)
