"""The API's register: a group's day, its month sheet (the table the downloads have), the summary
of every group a user may read, and marks made and taken back (attendance.corrections). A
viewer reads and corrects the groups they are responsible for; others answer 404."""

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from attendance import register_serializers as s
from attendance.access import group_correctable, group_readable, groups_visible_to
from attendance.corrections import day_mark, group_mark, mark_remove
from attendance.models import AttendanceCode
from attendance.register_presenters import group_day_payload, month_payload, summary_payload
from attendance.register_selectors import group_marks_in_force
from attendance.register_views import period_of
from attendance.setup_api import _refused
from attendance.sheets import month_sheet, period_summary
from faceapp.clock import site_date
from identity.api.parsers import BoundedJSONParser
from identity.api.permissions import HasRole
from identity.roles import VIEWER

MONTH = OpenApiParameter("month", OpenApiTypes.STR, OpenApiParameter.PATH, description="YYYY-MM",
                         pattern=r"^\d{4}-\d{2}$")


def mark_row(mark) -> dict:
    return {"id": mark.pk, "person_id": mark.person_id, "day": mark.day.isoformat(), "status": mark.status,
            "code_id": mark.code_id, "reason": mark.reason}


@extend_schema(summary="A group's register of one day", parameters=[s.RegisterFilterSerializer],
               responses=s.RegisterSerializer)
@api_view(["GET"])
@permission_classes([HasRole(VIEWER)])
def group_register(request: Request, group_id: int) -> Response:
    group = group_readable(request.user, group_id)
    filters = s.RegisterFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return Response(group_day_payload(group=group, day=filters.validated_data.get("day") or site_date()))


@extend_schema(summary="A group's month sheet", parameters=[MONTH], responses=s.MonthSheetSerializer)
@api_view(["GET"])
@permission_classes([HasRole(VIEWER)])
def group_month(request: Request, group_id: int, month: dt.date) -> Response:
    group = group_readable(request.user, group_id)
    return Response(month_payload(month_sheet(group=group, year=month.year, month=month.month)))


@extend_schema(summary="Every group's attendance over a period", description="The groups a user may read.",
               parameters=[s.SummaryFilterSerializer], responses=s.SummarySerializer)
@api_view(["GET"])
@permission_classes([HasRole(VIEWER)])
def register_summary(request: Request) -> Response:
    period = period_of(request.query_params)
    if isinstance(period, str):
        raise ValidationError({"non_field_errors": [period]})
    first, last = period
    summaries, per_day = period_summary(groups=list(groups_visible_to(request.user)), first_day=first, last_day=last)
    return Response(summary_payload(summaries=summaries, per_day=per_day, first_day=first, last_day=last))


@extend_schema(summary="Mark a member's day, or every member's", description=(
    "A mark wins over the sightings until it is taken back; each is one audit entry."),
    request=s.MarkWriteSerializer, responses={201: s.MarkSerializer(many=True)})
@api_view(["POST"])
@permission_classes([HasRole(VIEWER)])
@parser_classes([BoundedJSONParser])
def group_marks(request: Request, group_id: int) -> Response:
    group = group_correctable(request.user, group_id)
    serializer = s.MarkWriteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    code = None
    if data.get("code_id") is not None:
        code = AttendanceCode.objects.filter(pk=data["code_id"]).first()
        if code is None:
            return Response({"code_id": ["No such attendance code."]}, status=status.HTTP_400_BAD_REQUEST)
    fields = {"day": data["day"], "status": data["status"], "actor": request.user, "code": code,
              "reason": data["reason"]}
    try:
        if data.get("person_id") is None:
            marks = group_mark(group=group, **fields)
        else:
            person = group.members.filter(pk=data["person_id"]).first()
            if person is None:
                return Response({"person_id": ["Not a member of this group."]}, status=status.HTTP_400_BAD_REQUEST)
            marks = [day_mark(person=person, group=group, **fields)]
    except DjangoValidationError as error:
        return _refused(error)
    return Response([mark_row(mark) for mark in marks], status=status.HTTP_201_CREATED)


@extend_schema(summary="Take a mark back", description="The day is derived again from the sightings.",
               request=None, responses={204: OpenApiResponse(description="Taken back.")})
@api_view(["DELETE"])
@permission_classes([HasRole(VIEWER)])
def group_mark_remove(request: Request, group_id: int, mark_id: int) -> Response:
    group = group_correctable(request.user, group_id)
    mark = get_object_or_404(group_marks_in_force(group=group), pk=mark_id)
    try:
        mark_remove(mark=mark, actor=request.user)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(status=status.HTTP_204_NO_CONTENT)
