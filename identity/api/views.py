"""The JSON API: enrol people and recognise photos (operator+), read people, match logs and
attendance (operator+: viewers only get the dashboard). Token or session authentication.

Enrolment and recognition run on the Celery workers; these views wait up to
FACEAPP_API_WAIT_SECONDS for them, then answer 202 with a `status_url` to poll. Every view is
rate-limited per token or user (identity/api/throttling.py: 429 with Retry-After).
"""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as fields
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from faceapp.sizes import size_text
from identity.api import serializers as s
from identity.api.permissions import HasRole
from identity.models import FaceSample, MatchLog, Person, Snapshot
from identity.roles import OPERATOR
from identity.selectors import snapshot_result
from identity.services.attendance import attendance_payload
from identity.services.enrolment import person_delete, person_enroll, samples_wait
from identity.services.recognition import snapshot_submit, snapshot_wait
from identity.services.uploads import ImageTooLarge
from identity.vision import ImageError

# Room for the multipart framing and the small fields around the files.
MULTIPART_SLACK_BYTES = 64 * 1024


class ApiPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


def _too_large(request: Request, *, files: int) -> Response | None:
    """413 before parsing when the body cannot fit `files` uploads of the size cap each."""
    per_file = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    limit = files * per_file + MULTIPART_SLACK_BYTES
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length <= limit:
        return None
    reason = f"upload too large: {size_text(length)}; the limit is {size_text(per_file)} per photo"
    return Response({"error": reason}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def _errors_of(exc: DjangoValidationError) -> dict:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def _status_url(request: Request, name: str, pk: int) -> str:
    return request.build_absolute_uri(reverse(name, args=[pk]))


def _snapshot_response(request: Request, snapshot: Snapshot) -> Response:
    payload = snapshot_result(snapshot=snapshot)
    if snapshot.status == Snapshot.DONE:
        return Response(payload)
    if snapshot.status == Snapshot.FAILED:
        return Response({**payload, "error": snapshot.error or "recognition failed"}, status=422)
    url = _status_url(request, "api-snapshot-detail", snapshot.id)
    return Response({**payload, "status_url": url}, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class PeopleView(ListAPIView):
    """GET: enrolled people. POST: enrol a person (the service checks the code is free)."""

    permission_classes = [HasRole(OPERATOR)]
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = ApiPagination
    serializer_class = s.PersonSerializer
    queryset = Person.objects.annotate(
        accepted_samples=Count("samples", filter=Q(samples__status=FaceSample.ACCEPTED))
    ).order_by("name", "id")

    @extend_schema(summary="Enrolled people", description="Paginated, by name.")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Enrol a person",
        description="Multipart: name, code, consent=true, photos (repeated). Waits for the workers up to "
        "FACEAPP_API_WAIT_SECONDS.",
        request={"multipart/form-data": s.PersonEnrollSerializer},
        responses={
            201: OpenApiResponse(s.EnrolmentResultSerializer, "Every photo was processed, at least one accepted."),
            202: OpenApiResponse(s.EnrolmentResultSerializer, "Some photos are still pending: poll status_url."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, "Invalid fields: {field: [reason, ...]}."),
            413: OpenApiResponse(s.ErrorSerializer, "The upload is too large."),
            422: OpenApiResponse(
                inline_serializer("EnrolmentRefused", {"error": fields.CharField(),
                                                       "photos": s.EnrolledPhotoSerializer(many=True)}),
                "Every photo was rejected (each says why): nobody was enrolled; send the request again with "
                "other photos.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        if too_large := _too_large(request, files=s.MAX_PHOTOS_PER_REQUEST):
            return too_large
        serializer = s.PersonEnrollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            person, samples = person_enroll(
                name=data["name"], code=data["code"] or None, consent=data["consent"],
                photos=data["photos"], source="api", actor=request.user,
            )
        except DjangoValidationError as exc:
            return Response(_errors_of(exc), status=status.HTTP_400_BAD_REQUEST)
        except IntegrityError:  # another request took the code after our check
            return Response({"code": ["A person with this code already exists."]}, status=400)
        filenames = {sample.id: photo.name for sample, photo in zip(samples, data["photos"])}
        fresh = samples_wait(sample_ids=list(filenames), timeout=settings.FACEAPP_API_WAIT_SECONDS)
        samples = sorted(fresh, key=lambda sample: sample.id)  # ids follow the order of the photos
        photos = [{"id": x.id, "filename": filenames[x.id], "status": x.status, "reason": x.reason} for x in samples]
        if all(x.status == FaceSample.REJECTED for x in samples):
            # A 4xx creates nothing: with no face to recognise them by, the person is erased
            # (the API cannot add photos later), so the same request with other photos works.
            person_delete(person=person, actor=request.user)
            error = "no photo was accepted, so nobody was enrolled: each photo says why"
            return Response({"error": error, "photos": photos}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        url = _status_url(request, "api-person-detail", person.id)
        body = {"person": {"id": person.id, "name": person.name, "code": person.code}, "photos": photos, "status_url": url}
        pending = any(x.status == FaceSample.PENDING for x in samples)
        code = status.HTTP_202_ACCEPTED if pending else status.HTTP_201_CREATED
        return Response(body, status=code, headers={"Location": url})


class PersonDetailView(RetrieveAPIView):
    """A person with every enrolment photo and its status."""

    permission_classes = [HasRole(OPERATOR)]
    serializer_class = s.PersonDetailSerializer
    queryset = Person.objects.prefetch_related("samples")


@extend_schema(
    summary="Recognise the faces in a photo",
    request={"multipart/form-data": s.RecognizeSerializer},
    responses={
        200: OpenApiResponse(s.RecognitionResultSerializer, "Every face with its box, person or provisional ID."),
        202: OpenApiResponse(s.RecognitionResultSerializer, "Still processing: poll status_url."),
        400: OpenApiResponse(OpenApiTypes.OBJECT, "Not a readable image ({error}), or invalid fields ({field: [reason]})."),
        413: OpenApiResponse(s.ErrorSerializer, "The upload is too large."),
        422: OpenApiResponse(s.RecognitionResultSerializer, "The recognition failed: see error."),
    },
)
@api_view(["POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([MultiPartParser, FormParser])
def recognize(request: Request) -> Response:
    if too_large := _too_large(request, files=1):
        return too_large
    serializer = s.RecognizeSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        snapshot = snapshot_submit(
            image=serializer.validated_data["image"],
            camera=serializer.validated_data.get("camera"),
            user=request.user,
        )
    except ImageTooLarge as exc:
        return Response({"error": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    except ImageError as exc:
        return Response({"error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    snapshot = snapshot_wait(snapshot_id=snapshot.id, timeout=settings.FACEAPP_API_WAIT_SECONDS)
    return _snapshot_response(request, snapshot)


@extend_schema(
    summary="A recognition result",
    responses={
        200: s.RecognitionResultSerializer,
        202: OpenApiResponse(s.RecognitionResultSerializer, "Still processing."),
        422: OpenApiResponse(s.RecognitionResultSerializer, "The recognition failed: see error."),
    },
)
@api_view(["GET"])
@permission_classes([HasRole(OPERATOR)])
def snapshot_detail(request: Request, pk: int) -> Response:
    return _snapshot_response(request, get_object_or_404(Snapshot, pk=pk))


@extend_schema(parameters=[s.LogFilterSerializer])
class LogListView(ListAPIView):
    """Every recognised face, newest first; filter by person, decision, camera, since."""

    permission_classes = [HasRole(OPERATOR)]
    pagination_class = ApiPagination
    serializer_class = s.MatchLogSerializer

    def get_queryset(self):
        filters = s.LogFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        logs = MatchLog.objects.select_related("person", "provisional", "snapshot__camera")
        if "person" in wanted:
            logs = logs.filter(person_id=wanted["person"])
        if "decision" in wanted:
            logs = logs.filter(decision=wanted["decision"])
        if "camera" in wanted:
            logs = logs.filter(snapshot__camera_id=wanted["camera"])
        if "since" in wanted:
            logs = logs.filter(created_at__gte=wanted["since"])
        return logs.order_by("-created_at", "-id")


@extend_schema(summary="Attendance of one day", parameters=[s.AttendanceFilterSerializer],
               responses=s.AttendanceSerializer)
@api_view(["GET"])
@permission_classes([HasRole(OPERATOR)])
def attendance(request: Request) -> Response:
    filters = s.AttendanceFilterSerializer(data=request.query_params)
    filters.is_valid(raise_exception=True)
    return Response(attendance_payload(day=filters.validated_data["day"]))
