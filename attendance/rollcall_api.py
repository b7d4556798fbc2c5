"""The API's roll call (attendance.rollcall): a class photo posted for a group's session (or, by
an operator, for a list of people), its result read back (poll until `status` is done), a face
confirmed or corrected, the members found marked present. Those who may correct the group's
days call it; others answer 404 or 403."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from attendance.access import group_correctable, roll_call_correctable
from attendance.models import RollCall, RollCallFace
from attendance.rollcall import (
    expected_people, roll_call_create, roll_call_face_set, roll_call_mark, sessions_of_day,
)
from attendance.rollcall_presenters import FOUND, LIST_LABELS, roll_call_payload
from attendance.setup_api import _refused
from identity.api.parsers import BoundedJSONParser
from identity.api.permissions import HasRole
from identity.api.serializers import MAX_ROW_ID
from identity.api.views import _too_large
from identity.models import Person
from identity.roles import OPERATOR, VIEWER
from identity.services.uploads import ImageTooLarge
from identity.vision import ImageError

MAX_PEOPLE = 500  # on one roll call for a list of people


class RollCallCreateSerializer(serializers.Serializer):
    day = serializers.DateField()
    session_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ROW_ID,
                                          help_text="One of the group's sessions that day; none: the upload's time.")
    photo = serializers.FileField(help_text="The class photo (JPEG, PNG, WebP...; the upload cap applies).")


class RollCallPeopleCreateSerializer(serializers.Serializer):
    day = serializers.DateField()
    people = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ROW_ID), min_length=1,
                                   max_length=MAX_PEOPLE, help_text="The people expected (ids).")
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
    group_id = serializers.IntegerField(allow_null=True, help_text="None: a roll call for a list of people.")
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
    return _taken(request, group=group, session=session, day=data["day"], image=data["photo"])


def _taken(request: Request, **fields) -> Response:
    """202 with the roll call taken, or the refusal: 413 over the cap, 400 otherwise."""
    try:
        roll_call = roll_call_create(actor=request.user, **fields)
    except ImageTooLarge as error:
        return Response({"error": str(error)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    except ImageError as error:
        return Response({"photo": [str(error)]}, status=status.HTTP_400_BAD_REQUEST)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(roll_call_payload(roll_call), status=status.HTTP_202_ACCEPTED)


@extend_schema(summary="Take a roll call of a list of people from a photo", description=(
    "Operators: no group, no session (the people count as seen at the upload's time); as a group's roll call "
    "otherwise."), request={"multipart/form-data": RollCallPeopleCreateSerializer},
    responses={202: RollCallSerializer, 400: OpenApiResponse(OpenApiTypes.OBJECT, "{field: [reason, ...]}"),
               413: OpenApiResponse(OpenApiTypes.OBJECT, "The upload is too large.")})
@api_view(["POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([MultiPartParser, FormParser])
def people_roll_calls(request: Request) -> Response:
    if too_large := _too_large(request, files=1):
        return too_large
    serializer = RollCallPeopleCreateSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    people = list(Person.objects.filter(pk__in=data["people"]))
    if len(people) != len(set(data["people"])):
        return Response({"people": ["Nobody enrolled has some of these ids."]}, status=status.HTTP_400_BAD_REQUEST)
    return _taken(request, group=None, session=None, people=people, day=data["day"], image=data["photo"])


@extend_schema(summary="A roll call's result", responses=RollCallSerializer)
@api_view(["GET"])
@permission_classes([HasRole(VIEWER)])
def roll_call(request: Request, roll_call_id: int) -> Response:
    return Response(roll_call_payload(roll_call_correctable(request.user, roll_call_id)))


@extend_schema(summary="Confirm or correct one face", request=FaceSetSerializer, responses=RollCallSerializer)
@api_view(["POST"])
@permission_classes([HasRole(VIEWER)])
@parser_classes([BoundedJSONParser])
def roll_call_face(request: Request, roll_call_id: int, face_id: int) -> Response:
    roll_call = roll_call_correctable(request.user, roll_call_id)
    face = get_object_or_404(roll_call.faces, pk=face_id)
    serializer = FaceSetSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    person_id = serializer.validated_data["person_id"]
    person = expected_people(roll_call).filter(pk=person_id, active=True).first() if person_id else None
    if person_id and person is None:
        return Response({"person_id": ["Not one of the people this roll call is for."]},
                        status=status.HTTP_400_BAD_REQUEST)
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
def roll_call_mark_present(request: Request, roll_call_id: int) -> Response:
    roll_call = roll_call_correctable(request.user, roll_call_id)
    try:
        roll_call_mark(roll_call=roll_call, actor=request.user)
    except DjangoValidationError as error:
        return _refused(error)
    roll_call.refresh_from_db()
    return Response(roll_call_payload(roll_call))
