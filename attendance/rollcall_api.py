"""The API's roll call (attendance.rollcall): a class photo posted for a group's session, its
result read back (poll until `status` is done), a face confirmed or corrected, the members
found marked present. Those who may correct the group's days call it; others answer 404 or 403."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from attendance.access import group_correctable
from attendance.models import RollCall, RollCallFace
from attendance.rollcall import roll_call_create, roll_call_face_set, roll_call_mark, sessions_of_day
from attendance.rollcall_presenters import FOUND, LIST_LABELS, roll_call_payload
from attendance.setup_api import _refused
from identity.api.parsers import BoundedJSONParser
from identity.api.permissions import HasRole
from identity.api.serializers import MAX_ROW_ID
from identity.api.views import _too_large
from identity.roles import VIEWER
from identity.services.uploads import ImageTooLarge
from identity.vision import ImageError


class RollCallCreateSerializer(serializers.Serializer):
    day = serializers.DateField()
    session_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ROW_ID,
                                          help_text="One of the group's sessions that day; none: the upload's time.")
    photo = serializers.FileField(help_text="The class photo (JPEG, PNG, WebP...; the upload cap applies).")


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RollCallFaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField(help_text="As on the page's boxes, largest face first.")
    box = serializers.ListField(child=serializers.FloatField(), help_text="x1, y1, x2, y2 in the photo's pixels.")
    size_px = serializers.FloatField()
    decision = serializers.ChoiceField(choices=RollCallFace.DECISION_CHOICES)
    similarity = serializers.FloatField(allow_null=True)
    list = serializers.ChoiceField(choices=list(LIST_LABELS.items()), help_text=f"{FOUND}: counts for `person`.")
    found = PersonRefSerializer(allow_null=True, help_text="Whom the engine named, or suggests (unsure).")
    person = PersonRefSerializer(allow_null=True, help_text="The member it counts for.")
    confirmed = serializers.BooleanField(help_text="A user confirmed or corrected it.")


class RollCallSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField()
    day = serializers.DateField()
    at = serializers.DateTimeField(help_text="When the members marked present count as seen.")
    session_id = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=RollCall.STATUS_CHOICES)
    error = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    photo_url = serializers.CharField()
    page_url = serializers.CharField()
    marked_at = serializers.DateTimeField(allow_null=True)
    faces = RollCallFaceSerializer(many=True)
    members_missing = PersonRefSerializer(many=True)


class FaceSetSerializer(serializers.Serializer):
    person_id = serializers.IntegerField(allow_null=True, min_value=1, max_value=MAX_ROW_ID,
                                         help_text="A member; null: no member of the group.")


def _roll_call_of(request: Request, group_id: int, roll_call_id: int) -> RollCall:
    group = group_correctable(request.user, group_id)
    return get_object_or_404(RollCall.objects.select_related("group"), pk=roll_call_id, group=group)


@extend_schema(summary="Take a roll call from a class photo", description=(
    "The photo is read by a worker: GET the roll call until its status is done. Nothing is recorded "
    "until it is marked."), request={"multipart/form-data": RollCallCreateSerializer},
    responses={202: RollCallSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT, "{field: [reason, ...]}"),
               413: OpenApiResponse(OpenApiTypes.OBJECT, "The upload is too large.")})
@api_view(["POST"])
@permission_classes([HasRole(VIEWER)])
@parser_classes([MultiPartParser, FormParser])
def roll_calls(request: Request, group_id: int) -> Response:
    group = group_correctable(request.user, group_id)
    if too_large := _too_large(request, files=1):
        return too_large
    serializer = RollCallCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    session = next((s for s in sessions_of_day(group=group, day=data["day"]) if s.pk == data.get("session_id")), None)
    if data.get("session_id") is not None and session is None:
        return Response({"session_id": ["Not one of the group's sessions that day."]},
                        status=status.HTTP_400_BAD_REQUEST)
    try:
        roll_call = roll_call_create(group=group, day=data["day"], session=session, image=data["photo"],
                                     actor=request.user)
    except ImageTooLarge as error:
        return Response({"error": str(error)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    except ImageError as error:
        return Response({"photo": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(roll_call_payload(roll_call), status=status.HTTP_202_ACCEPTED)


@extend_schema(summary="A roll call's result", responses=RollCallSerializer)
@api_view(["GET"])
@permission_classes([HasRole(VIEWER)])
def roll_call(request: Request, group_id: int, roll_call_id: int) -> Response:
    return Response(roll_call_payload(_roll_call_of(request, group_id, roll_call_id)))


@extend_schema(summary="Confirm or correct one face", request=FaceSetSerializer, responses=RollCallSerializer)
@api_view(["POST"])
@permission_classes([HasRole(VIEWER)])
@parser_classes([BoundedJSONParser])
def roll_call_face(request: Request, group_id: int, roll_call_id: int, face_id: int) -> Response:
    roll_call = _roll_call_of(request, group_id, roll_call_id)
    face = get_object_or_404(roll_call.faces, pk=face_id)
    serializer = FaceSetSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    person_id = serializer.validated_data["person_id"]
    person = roll_call.group.members.filter(pk=person_id, active=True).first() if person_id else None
    if person_id and person is None:
        return Response({"person_id": ["Not a member of this group."]}, status=status.HTTP_400_BAD_REQUEST)
    try:
        roll_call_face_set(face=face, person=person, actor=request.user)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(roll_call_payload(roll_call))


@extend_schema(summary="Mark the members found present", description=(
    "One roll-call event per member a face counts for, their day derived again, each audited; "
    "marking again writes nothing more."), request=None, responses=RollCallSerializer)
@api_view(["POST"])
@permission_classes([HasRole(VIEWER)])
def roll_call_mark_present(request: Request, group_id: int, roll_call_id: int) -> Response:
    roll_call = _roll_call_of(request, group_id, roll_call_id)
    try:
        roll_call_mark(roll_call=roll_call, actor=request.user)
    except DjangoValidationError as error:
        return _refused(error)
    roll_call.refresh_from_db()
    return Response(roll_call_payload(roll_call))
