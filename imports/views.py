"""Bulk enrolment pages (operators): the imports with a form to start one; each import's page
with its live progress bar, its report, the report as CSV, and a cancel button."""

import csv

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from faceapp.spreadsheet import csv_safe
from identity.forms import posted
from identity.roles import OPERATOR, role_required
from identity.views.refusals import refusal_text
from imports.forms import ImportForm
from imports.models import BulkImport
from imports.presenters import REPORT_COLUMNS, import_progress, report_rows
from imports.services import import_cancel, import_create


@role_required(OPERATOR)
def import_list(request):
    form = ImportForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["csv"]
        try:
            bulk = import_create(
                actor=request.user, consent=form.cleaned_data["consent"], archive=form.cleaned_data["archive"],
                csv_text=upload.read().decode("utf-8-sig", errors="replace") if upload else None,
            )
        except ValidationError as error:
            form.add_error("archive", refusal_text(error))
        else:
            return redirect("import-detail", import_id=bulk.pk)
    imports = BulkImport.objects.defer("plan", "report")[:50]
    return render(request, "imports/import_list.html", {"form": form, "imports": imports})


@role_required(OPERATOR)
@require_GET
def import_detail(request, import_id: int):
    bulk = get_object_or_404(BulkImport, pk=import_id)
    context = {"bulk": bulk, "progress": import_progress(bulk), "rows": report_rows(bulk)}
    return render(request, "imports/import_detail.html", context)


@role_required(OPERATOR)
@require_GET
def import_status(request, import_id: int):
    """The progress as JSON: what the page fetches once its socket is open (a missed event)."""
    return JsonResponse({"progress": import_progress(get_object_or_404(BulkImport, pk=import_id))})


@role_required(OPERATOR)
@require_GET
def import_report(request, import_id: int):
    bulk = get_object_or_404(BulkImport, pk=import_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{bulk.pk}-report.csv"'
    writer = csv.writer(response)
    writer.writerow(REPORT_COLUMNS)
    writer.writerows([[csv_safe(cell) for cell in row] for row in report_rows(bulk)])
    return response



@role_required(OPERATOR)
@require_POST
def import_stop(request, import_id: int):
    import_cancel(bulk=get_object_or_404(BulkImport, pk=import_id))
    return redirect("import-detail", import_id=import_id)
