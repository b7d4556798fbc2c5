"""The register's calendar and vocabulary pages (operators): closures, planned absences (also on a
person's page), attendance codes, and a camera's role (on its settings page)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from attendance.forms import AbsenceForm, CameraRoleForm, ClosureForm, CodeForm, refusal_onto
from attendance.models import AttendanceCode, Closure, PlannedAbsence
from attendance.setup import calendar
from attendance.setup_selectors import absences_list, closures_list, codes_list
from faceapp.clock import site_date
from identity.forms import posted
from identity.models import Camera
from identity.roles import OPERATOR, role_required
from identity.views.refusals import refused


def _back(request, fallback: str, *args):
    """To the page the form was on (a person's page), else `fallback`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback, *args)


@role_required(OPERATOR)
def closure_list(request):
    form = ClosureForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            closure = calendar.closure_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            refusal_onto(form, error)
        else:
            messages.success(request, f"Closure {closure.name} saved.")
            return redirect("closure-list")
    return render(request, "attendance/closure_list.html", {"closures": closures_list(), "form": form})


@role_required(OPERATOR)
@require_POST
def closure_delete(request, closure_id: int):
    closure = get_object_or_404(Closure, pk=closure_id)
    calendar.closure_delete(actor=request.user, closure=closure)
    messages.success(request, f"Closure {closure.name} deleted.")
    return redirect("closure-list")


@role_required(OPERATOR)
def code_list(request):
    form = CodeForm(posted(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            code = calendar.code_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            refusal_onto(form, error)
        else:
            messages.success(request, f"Code {code.label} saved.")
            return redirect("code-list")
    return render(request, "attendance/code_list.html", {"codes": codes_list(), "form": form})


@role_required(OPERATOR)
def code_edit(request, code_id: int):
    code = get_object_or_404(AttendanceCode, pk=code_id)
    initial = {"label": code.label, "category": code.category, "colour": code.colour}
    form = CodeForm(posted(request)[0], initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            calendar.code_update(actor=request.user, code=code, **form.cleaned_data)
        except ValidationError as error:
            refusal_onto(form, error)
        else:
            messages.success(request, f"Code {code.label} saved.")
            return redirect("code-list")
    return render(request, "attendance/code_edit.html", {"code": code, "form": form})


@role_required(OPERATOR)
@require_POST
def code_delete(request, code_id: int):
    code = get_object_or_404(AttendanceCode, pk=code_id)
    try:
        calendar.code_delete(actor=request.user, code=code)
    except ValidationError as error:
        refused(request, error)
    else:
        messages.success(request, f"Code {code.label} deleted.")
    return redirect("code-list")


@role_required(OPERATOR)
def absence_list(request):
    """The planned absences not over yet, and a form to add one (also posted from a person's page)."""
    form = AbsenceForm(posted(request)[0])
    if request.method == "POST":
        if form.is_valid():
            try:
                absence = calendar.absence_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                refusal_onto(form, error)
            else:
                messages.success(request, f"{absence.person.name} is away from {absence.first_day} to "
                                          f"{absence.last_day} ({absence.code.label}).")
                return _back(request, "absence-list")
        if request.POST.get("next"):  # from a person's page: the reasons go back there
            messages.error(request, " ".join(reason for reasons in form.errors.values() for reason in reasons))
            return _back(request, "absence-list")
    return render(request, "attendance/absence_list.html", {"absences": absences_list(since=site_date()), "form": form})


@role_required(OPERATOR)
@require_POST
def absence_delete(request, absence_id: int):
    absence = get_object_or_404(PlannedAbsence.objects.select_related("person", "code"), pk=absence_id)
    calendar.absence_delete(actor=request.user, absence=absence)
    messages.success(request, f"Planned absence of {absence.person.name} from {absence.first_day} deleted.")
    return _back(request, "absence-list")


@role_required(OPERATOR)
@require_POST
def camera_role(request, camera_id: int):
    camera = get_object_or_404(Camera, pk=camera_id)
    form = CameraRoleForm(request.POST)
    if form.is_valid():
        calendar.camera_role_set(actor=request.user, camera=camera, role=form.cleaned_data["role"])
        messages.success(request, f"{camera.name} is now an {form.cleaned_data['role']} camera for attendance.")
    else:
        messages.error(request, "Choose entry, exit or presence.")
    return redirect("camera-edit", camera.pk)
