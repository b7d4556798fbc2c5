"""The API's attendance (operators): one day's lists, the same as the attendance page's."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response

from attendance.presenters import attendance_payload
from faceapp.clock import site_date
from identity.api.permissions import HasRole
from identity.roles import OPERATOR


class AttendanceFilterSerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="YYYY-MM-DD; today when left out.")

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("day", site_date())
        return attrs


class AttendancePresentSerializer(serializers.Serializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField(allow_null=True)
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    camera = serializers.CharField(allow_null=True, help_text="The name of the camera that saw them last.")


class AttendanceAbsentSerializer(serializers.Serializer):
    person_id = serializers.IntegerField()
    name = serializers.CharField()
    code = serializers.CharField(allow_null=True)


class AttendanceSerializer(serializers.Serializer):
    """Schema-only: the shape of `attendance.presenters.attendance_payload`."""

    day = serializers.DateField()
    present = AttendancePresentSerializer(many=True)
    absent = AttendanceAbsentSerializer(many=True)
    present_count = serializers.IntegerField()
    absent_count = serializers.IntegerField()


@extend_schema(summary="Attendance of one day", parameters=[AttendanceFilterSerializer],
               responses=AttendanceSerializer)
@api_view(["GET"])
@permission_classes([HasRole(OPERATOR)])
def attendance(request: Request) -> Response:
    filters = AttendanceFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return Response(attendance_payload(day=filters.validated_data["day"]))
