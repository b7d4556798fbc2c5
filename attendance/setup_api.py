"""The API's register setup: groups and their members (operators; a viewer reads the groups they
are responsible for, others answer 404), a group's schedules, closures, codes (viewers read them)
and planned absences (operators). Refusals are 400 with a sentence per field; writes are audited."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from attendance import setup_serializers as s
from attendance.models import AttendanceCode, Closure, PlannedAbsence
from attendance.setup import calendar
from attendance.setup import groups as group_setup
from attendance.setup import schedules as schedule_setup
from attendance.setup_presenters import group_detail as group_detail_payload
from attendance.setup_presenters import group_row
from attendance.setup_selectors import absences_list, closures_list, codes_list, groups_overview, responsible_candidates
from identity.api.parsers import BoundedJSONParser
from identity.api.permissions import HasRole
from identity.models import Person
from identity.roles import ADMIN, OPERATOR, VIEWER, has_role


def ReadsFor(read: str, write: str) -> type[BasePermission]:  # noqa: N802 - a class factory, used like a class
    """Reads (GET) for `read` or higher, writes for `write` or higher; `required_role` is the
    write's, which the fuzz test reads as the role a write needs."""

    class ReadWritePermission(BasePermission):
        required_role = write
        message = f"Reading needs the {read} role, changing the {write} role."

        def has_permission(self, request, view) -> bool:
            return has_role(request.user, read if request.method in SAFE_METHODS else write)

    ReadWritePermission.__name__ = ReadWritePermission.__qualname__ = f"Reads{read.capitalize()}{write.capitalize()}"
    return ReadWritePermission


def _refused(error: DjangoValidationError) -> Response:
    body = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _group_of(request: Request, group_id: int):
    return get_object_or_404(groups_overview(user=request.user), pk=group_id)


# ---------- groups ----------


@extend_schema(methods=["GET"], summary="Groups", description="Operators: every group; a viewer: theirs.",
               responses=s.GroupSerializer(many=True))
@extend_schema(methods=["POST"], summary="Create a group", request=s.GroupWriteSerializer,
               responses={201: s.GroupDetailSerializer})
@api_view(["GET", "POST"])
@permission_classes([ReadsFor(VIEWER, OPERATOR)])
@parser_classes([BoundedJSONParser])
def groups(request: Request) -> Response:
    if request.method == "GET":
        return Response([group_row(group) for group in groups_overview(user=request.user)])
    serializer = s.GroupWriteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        group = group_setup.group_create(actor=request.user, **serializer.validated_data)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(group_detail_payload(_group_of(request, group.pk)), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], summary="A group and its members", responses=s.GroupDetailSerializer)
@extend_schema(methods=["PATCH"], summary="Rename a group or change its kind", request=s.GroupWriteSerializer,
               responses=s.GroupDetailSerializer)
@extend_schema(methods=["DELETE"], summary="Delete a group with no day in the register yet",
               responses={204: OpenApiResponse(description="Deleted.")})
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([ReadsFor(VIEWER, OPERATOR)])
@parser_classes([BoundedJSONParser])
def group(request: Request, group_id: int) -> Response:
    found = _group_of(request, group_id)
    if request.method == "GET":
        return Response(group_detail_payload(found))
    try:
        if request.method == "DELETE":
            group_setup.group_delete(actor=request.user, group=found)
            return Response(status=status.HTTP_204_NO_CONTENT)
        serializer = s.GroupWriteSerializer(data=_merged({"name": found.name, "kind": found.kind}, request.data))
        serializer.is_valid(raise_exception=True)
        group_setup.group_update(actor=request.user, group=found, **serializer.validated_data)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(group_detail_payload(_group_of(request, group_id)))


@extend_schema(summary="Add and remove a group's members", request=s.MembersChangeSerializer,
               responses=s.MembersResultSerializer)
@api_view(["POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([BoundedJSONParser])
def group_members(request: Request, group_id: int) -> Response:
    found = _group_of(request, group_id)
    serializer = s.MembersChangeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    added = group_setup.group_members_add(actor=request.user, group=found,
                                          people=Person.objects.filter(pk__in=data.get("add", [])))
    removed = group_setup.group_members_remove(actor=request.user, group=found,
                                               people=Person.objects.filter(pk__in=data.get("remove", [])))
    return Response({"added": added, "removed": removed, "member_count": found.members.count()})


@extend_schema(summary="Set the users responsible for a group (admins)", request=s.ResponsibleSerializer,
               responses=s.GroupDetailSerializer)
@api_view(["PUT"])
@permission_classes([HasRole(ADMIN)])
@parser_classes([BoundedJSONParser])
def group_responsible(request: Request, group_id: int) -> Response:
    found = _group_of(request, group_id)
    serializer = s.ResponsibleSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    ids = set(serializer.validated_data["users"])
    users = list(responsible_candidates().filter(pk__in=ids))
    if len(users) != len(ids):
        return Response({"users": ["Some ids are not active users with a role: nothing was changed."]},
                        status=status.HTTP_400_BAD_REQUEST)
    try:
        group_setup.group_responsible_set(actor=request.user, group=found, users=users)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(group_detail_payload(_group_of(request, group_id)))


@extend_schema(methods=["GET"], summary="A group's schedules", description="Newest first, with their sessions.",
               responses=s.ScheduleSerializer(many=True))
@extend_schema(methods=["POST"], summary="A new schedule for a group, from a date",
               description="A schedule in force is never rewritten: a change is a new schedule from its date.",
               request=s.ScheduleWriteSerializer, responses={201: s.ScheduleSerializer})
@api_view(["GET", "POST"])
@permission_classes([ReadsFor(VIEWER, OPERATOR)])
@parser_classes([BoundedJSONParser])
def group_schedules(request: Request, group_id: int) -> Response:
    found = _group_of(request, group_id)
    if request.method == "GET":
        return Response(s.ScheduleSerializer(found.schedules.prefetch_related("sessions"), many=True).data)
    serializer = s.ScheduleWriteSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        schedule = schedule_setup.schedule_create(actor=request.user, group=found, **serializer.service_fields())
    except DjangoValidationError as error:
        return _refused(error)
    return Response(s.ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)


# ---------- the calendar and the codes ----------


def _written(serializer, write) -> Response:
    """`write(**fields)` through a service once `serializer` is valid: the saved row in its shape, or 400."""
    serializer.is_valid(raise_exception=True)
    try:
        saved = write(**serializer.validated_data)
    except DjangoValidationError as error:
        return _refused(error)
    return Response(type(serializer)(saved).data, status=status.HTTP_201_CREATED if serializer.instance is None else 200)


def _merged(current: dict, data):
    """A PATCH's fields over the row's own (the services take every field); a body that is not an
    object is left for the serializer to refuse."""
    return {**current, **data} if isinstance(data, dict) else data


@extend_schema(methods=["GET"], summary="Holidays and closures", responses=s.ClosureSerializer(many=True))
@extend_schema(methods=["POST"], summary="Add a closure", request=s.ClosureSerializer, responses={201: s.ClosureSerializer})
@api_view(["GET", "POST"])
@permission_classes([ReadsFor(VIEWER, OPERATOR)])
@parser_classes([BoundedJSONParser])
def closures(request: Request) -> Response:
    if request.method == "GET":
        return Response(s.ClosureSerializer(closures_list(), many=True).data)
    return _written(s.ClosureSerializer(data=request.data),
                    lambda **fields: calendar.closure_create(actor=request.user, **fields))


@extend_schema(methods=["PATCH"], summary="Edit a closure", request=s.ClosureSerializer, responses=s.ClosureSerializer)
@extend_schema(methods=["DELETE"], summary="Delete a closure", responses={204: OpenApiResponse(description="Deleted.")})
@api_view(["PATCH", "DELETE"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([BoundedJSONParser])
def closure(request: Request, closure_id: int) -> Response:
    found = get_object_or_404(Closure, pk=closure_id)
    if request.method == "DELETE":
        calendar.closure_delete(actor=request.user, closure=found)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = s.ClosureSerializer(found, data=_merged(s.ClosureSerializer(found).data, request.data))
    return _written(serializer, lambda **fields: calendar.closure_update(actor=request.user, closure=found, **fields))


@extend_schema(methods=["GET"], summary="Attendance codes", responses=s.CodeSerializer(many=True))
@extend_schema(methods=["POST"], summary="Add an attendance code", request=s.CodeSerializer,
               responses={201: s.CodeSerializer})
@api_view(["GET", "POST"])
@permission_classes([ReadsFor(VIEWER, OPERATOR)])
@parser_classes([BoundedJSONParser])
def codes(request: Request) -> Response:
    if request.method == "GET":
        return Response(s.CodeSerializer(codes_list(), many=True).data)
    return _written(s.CodeSerializer(data=request.data), lambda **fields: calendar.code_create(actor=request.user, **fields))


@extend_schema(methods=["PATCH"], summary="Edit an attendance code", request=s.CodeSerializer, responses=s.CodeSerializer)
@extend_schema(methods=["DELETE"], summary="Delete a code nothing uses",
               responses={204: OpenApiResponse(description="Deleted.")})
@api_view(["PATCH", "DELETE"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([BoundedJSONParser])
def code(request: Request, code_id: int) -> Response:
    found = get_object_or_404(AttendanceCode, pk=code_id)
    try:
        if request.method == "DELETE":
            calendar.code_delete(actor=request.user, code=found)
            return Response(status=status.HTTP_204_NO_CONTENT)
    except DjangoValidationError as error:
        return _refused(error)
    serializer = s.CodeSerializer(found, data=_merged(s.CodeSerializer(found).data, request.data))
    return _written(serializer, lambda **fields: calendar.code_update(actor=request.user, code=found, **fields))


@extend_schema(methods=["GET"], summary="Planned absences", description="Those ending on or after `since` (today "
               "when left out), or a person's.", responses=s.AbsenceSerializer(many=True),
               parameters=[OpenApiParameter("person", int, description="A person's id: all their absences."),
                           OpenApiParameter("since", str, description="YYYY-MM-DD.")])
@extend_schema(methods=["POST"], summary="Plan an absence", request=s.AbsenceSerializer,
               responses={201: s.AbsenceSerializer})
@api_view(["GET", "POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([BoundedJSONParser])
def absences(request: Request) -> Response:
    if request.method == "POST":
        return _written(s.AbsenceSerializer(data=request.data),
                        lambda **fields: calendar.absence_create(actor=request.user, **fields))
    filters = s.AbsenceFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    rows = absences_list(since=filters.validated_data["since"])
    if "person" in filters.validated_data:
        rows = PlannedAbsence.objects.filter(person_id=filters.validated_data["person"]).select_related("code")
    return Response(s.AbsenceSerializer(rows, many=True).data)


@extend_schema(methods=["PATCH"], summary="Edit a planned absence", request=s.AbsenceSerializer,
               responses=s.AbsenceSerializer)
@extend_schema(methods=["DELETE"], summary="Delete a planned absence",
               responses={204: OpenApiResponse(description="Deleted.")})
@api_view(["PATCH", "DELETE"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([BoundedJSONParser])
def absence(request: Request, absence_id: int) -> Response:
    found = get_object_or_404(PlannedAbsence.objects.select_related("person", "code"), pk=absence_id)
    if request.method == "DELETE":
        calendar.absence_delete(actor=request.user, absence=found)
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = s.AbsenceSerializer(found, data=_merged(s.AbsenceSerializer(found).data, request.data))
    serializer.is_valid(raise_exception=True)
    if serializer.validated_data["person"] != found.person:
        return Response({"person": ["An absence stays its person's: delete it and plan another."]},
                        status=status.HTTP_400_BAD_REQUEST)
    return _written(serializer, lambda person, **fields: calendar.absence_update(actor=request.user, absence=found,
                                                                                 **fields))
