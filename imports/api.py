"""The API's bulk enrolment (operators): POST a ZIP (and a CSV) to start an import the workers
take; GET its progress and report. The same import as the page and the command."""

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from identity.api.permissions import HasRole
from identity.api.serializers import ErrorSerializer, UploadField
from identity.roles import OPERATOR
from identity.views.refusals import refusal_text
from imports.models import BulkImport
from imports.presenters import REPORT_COLUMNS, import_progress, report_rows
from imports.services import import_create


class ImportSerializer(serializers.Serializer):
    archive = UploadField(help_text="A ZIP: a folder per person, or photos named by person (Ada_Lovelace_0001.jpg).")
    csv = UploadField(required=False, help_text="Optional CSV: name, code, photos (; between them), consent.")
    consent = serializers.BooleanField(default=False, help_text="Every person in it consented to be enrolled "
                                       "(where the CSV does not say).")


def _import_body(request: Request, bulk: BulkImport) -> dict:
    url = request.build_absolute_uri(reverse("api-import-detail", args=[bulk.pk]))
    report = [dict(zip(REPORT_COLUMNS, row)) for row in report_rows(bulk)]
    return {"import": {**import_progress(bulk), "url": url}, "report": report, "status_url": url}


@extend_schema(
    summary="Start a bulk enrolment",
    request={"multipart/form-data": ImportSerializer},
    responses={
        202: OpenApiResponse(OpenApiTypes.OBJECT, "Queued for the workers: poll status_url."),
        400: OpenApiResponse(OpenApiTypes.OBJECT, "Not a ZIP ({error}), or invalid fields ({field: [reason]})."),
        413: OpenApiResponse(ErrorSerializer, "The upload is too large."),
    },
)
@api_view(["POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([MultiPartParser, FormParser])
def import_start(request: Request) -> Response:
    serializer = ImportSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    csv_text = data["csv"].read().decode("utf-8-sig", errors="replace") if data.get("csv") else None
    try:
        bulk = import_create(actor=request.user, consent=data["consent"], archive=data["archive"], csv_text=csv_text)
    except ValidationError as error:
        return Response({"error": refusal_text(error)}, status=status.HTTP_400_BAD_REQUEST)
    body = _import_body(request, bulk)
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


@extend_schema(
    summary="A bulk enrolment's progress and report",
    responses={200: OpenApiResponse(OpenApiTypes.OBJECT, "Counts, rate, time left and every report line so far.")},
)
@api_view(["GET"])
@permission_classes([HasRole(OPERATOR)])
def import_detail(request: Request, import_id: int) -> Response:
    return Response(_import_body(request, get_object_or_404(BulkImport, pk=import_id)))
