"""The JSON API: enrol, edit and delete people and their photos, recognise photos, review faces,
read people and match logs (operator+: viewers only get the dashboard and this API's reference,
/api/docs/; attendance is attendance.api's). Token or session authentication; every change is
audited as its user's.

Enrolment and recognition run on the Celery workers; these views wait up to
FACEAPP_API_WAIT_SECONDS for them, then answer 202 with a `status_url` to poll. Every view is
rate-limited per token or user (identity/api/throttling.py: 429 with Retry-After).
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import serializers as fields
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes, permission_classes
from rest_framework.exceptions import NotAuthenticated
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from faceapp.sizes import size_text
from identity.api import serializers as s
from identity.api.parsers import BoundedJSONParser
from identity.api.permissions import HasRole
from identity.models import FaceSample, MatchLog, Person, Snapshot
from identity.roles import OPERATOR, VIEWER
from identity.selectors import snapshot_result
from identity.services import review
from identity.services.enrolment import (
    person_delete,
    person_enroll,
    person_update,
    photos_add,
    sample_delete,
    samples_wait,
)
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


def _person_refused(exc: DjangoValidationError | IntegrityError) -> Response:
    """400 {field: [reason]}: a service's refusal, or a code another request took after its check."""
    errors = {"code": ["A person with this code already exists."]} if isinstance(exc, IntegrityError) else _errors_of(exc)
    return Response(errors, status=status.HTTP_400_BAD_REQUEST)


def _status_url(request: Request, name: str, pk: int) -> str:
    return request.build_absolute_uri(reverse(name, args=[pk]))


def _held_refused(person: Person, photos: list[dict], *, actor, new: bool) -> Response | None:
    """409 when a photo's face is someone enrolled already: the held photos are dropped (a `new`
    person is erased: a 4xx creates nobody), so the request can be sent again, with
    different_from=<matched id> if they are different people."""
    held = FaceSample.objects.filter(person=person, pk__in=[p["id"] for p in photos], status=FaceSample.HELD)
    first = held.select_related("held_as").order_by("id").first()
    if first is None or first.held_as is None:
        return None
    matched = first.held_as
    if new:
        person_delete(person=person, actor=actor)
    else:
        for sample in held:
            sample_delete(sample=sample, actor=actor)
    body = {"error": f"{first.reason}: not enrolled. If this is a different person, send the request again with "
                     f"different_from={matched.pk}.", "matched": {**s.person_brief(matched), "display_id":
                     matched.display_id}, "photos": photos}
    return Response(body, status=status.HTTP_409_CONFLICT)


def _photos_processed(samples: list[FaceSample], uploads: list) -> list[dict]:
    """Each photo's outcome once the workers are done with them or FACEAPP_API_WAIT_SECONDS pass."""
    filenames = {sample.id: upload.name for sample, upload in zip(samples, uploads)}
    fresh = samples_wait(sample_ids=list(filenames), timeout=settings.FACEAPP_API_WAIT_SECONDS)
    samples = sorted(fresh, key=lambda sample: sample.id)  # ids follow the order of the photos
    return [{"id": x.id, "filename": filenames[x.id], "status": x.status, "reason": x.reason} for x in samples]


def _photos_response(request: Request, person: Person, photos: list[dict]) -> Response:
    """201 when every photo is processed, else 202: poll the person's status_url."""
    url = _status_url(request, "api-person-detail", person.id)
    body = {"person": s.person_brief(person), "photos": photos, "status_url": url}
    pending = any(photo["status"] == FaceSample.PENDING for photo in photos)
    code = status.HTTP_202_ACCEPTED if pending else status.HTTP_201_CREATED
    return Response(body, status=code, headers={"Location": url})


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
            409: OpenApiResponse(s.DuplicateRefusedSerializer, "A photo's face is someone enrolled already "
                                 "(`matched`): nobody was enrolled; send different_from=<matched id> if not them."),
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
                photos=data["photos"], source="api", actor=request.user, distinct_from=data.get("different_from"),
            )
        except (DjangoValidationError, IntegrityError) as exc:
            return _person_refused(exc)
        photos = _photos_processed(samples, data["photos"])
        if refused := _held_refused(person, photos, actor=request.user, new=True):
            return refused
        if all(photo["status"] == FaceSample.REJECTED for photo in photos):
            # A 4xx creates nothing: with no face to recognise them by, the person is erased,
            # so the same request with other photos (and the same code) works.
            person_delete(person=person, actor=request.user)
            error = "no photo was accepted, so nobody was enrolled: each photo says why"
            return Response({"error": error, "photos": photos}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        return _photos_response(request, person, photos)


class PersonDetailView(RetrieveAPIView):
    """GET: a person with every enrolment photo and its status. PATCH: edit. DELETE: erase."""

    permission_classes = [HasRole(OPERATOR)]
    parser_classes = [BoundedJSONParser]
    serializer_class = s.PersonDetailSerializer
    queryset = Person.objects.prefetch_related("samples")

    @extend_schema(summary="A person and their photos", description="Every photo with its status: the status_url of "
                   "an enrolment or of added photos.")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Edit a person",
        description="JSON: name, code, active; only the fields sent change. Audited.",
        request=s.PersonUpdateSerializer,
        responses={
            200: OpenApiResponse(s.PersonDetailSerializer, "The person as edited."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, "Invalid fields, or the code is taken: {field: [reason, ...]}."),
        },
    )
    def patch(self, request: Request, *args, **kwargs) -> Response:
        person = self.get_object()
        serializer = s.PersonUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = {"name": person.name, "code": person.code, "active": person.active, **serializer.validated_data}
        try:
            person = person_update(person=person, **changes, actor=request.user)
        except (DjangoValidationError, IntegrityError) as exc:
            return _person_refused(exc)
        return Response(self.get_serializer(person).data)

    @extend_schema(
        summary="Delete a person",
        description="Erases the person and every copy of their face and name (photos, crops, embeddings, "
        "the snapshots that showed them alone, their face in group photos). Audited.",
        responses={204: OpenApiResponse(description="Erased.")},
    )
    def delete(self, request: Request, *args, **kwargs) -> Response:
        person_delete(person=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Add photos to a person",
    description="Multipart: photos (repeated). Waits for the workers up to FACEAPP_API_WAIT_SECONDS; each photo "
    "says whether it was accepted, or why not. Audited.",
    request={"multipart/form-data": s.PhotosAddSerializer},
    responses={
        201: OpenApiResponse(s.EnrolmentResultSerializer, "Every photo was processed: each says accepted or rejected."),
        202: OpenApiResponse(s.EnrolmentResultSerializer, "Some photos are still pending: poll status_url."),
        400: OpenApiResponse(OpenApiTypes.OBJECT, "Invalid fields: {field: [reason, ...]}."),
        409: OpenApiResponse(s.DuplicateRefusedSerializer, "A photo's face is someone else enrolled (`matched`): "
                             "that photo was not added; send different_from=<matched id> if not them."),
        413: OpenApiResponse(s.ErrorSerializer, "The upload is too large."),
    },
)
@api_view(["POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([MultiPartParser, FormParser])
def person_photos_add(request: Request, person_id: int) -> Response:
    if too_large := _too_large(request, files=s.MAX_PHOTOS_PER_REQUEST):
        return too_large
    person = get_object_or_404(Person, pk=person_id)
    serializer = s.PhotosAddSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    uploads = serializer.validated_data["photos"]
    try:
        samples = photos_add(person=person, photos=uploads, actor=request.user,
                             distinct_from=serializer.validated_data.get("different_from"))
    except DjangoValidationError as exc:
        return _person_refused(exc)
    photos = _photos_processed(samples, uploads)
    return _held_refused(person, photos, actor=request.user, new=False) or _photos_response(request, person, photos)


@extend_schema(
    summary="Delete one photo of a person",
    description="Its file, face crop and embedding; the person is no longer recognised by it. Audited.",
    responses={204: OpenApiResponse(description="Deleted.")},
)
@api_view(["DELETE"])
@permission_classes([HasRole(OPERATOR)])
def person_photo_delete(request: Request, person_id: int, sample_id: int) -> Response:
    # The person by their key first: a foreign-key lookup is not range-checked (a huge id would be a 500).
    person = get_object_or_404(Person, pk=person_id)
    sample = get_object_or_404(person.samples, pk=sample_id)
    sample_delete(sample=sample, actor=request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)


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


# A logged face with what MatchLogSerializer reads, in one query (listed, or answered after a review).
LOGS = MatchLog.objects.select_related("person", "reviewed_person", "provisional", "snapshot__camera")


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
        logs = LOGS.all()
        if "person" in wanted:
            logs = logs.filter(person_id=wanted["person"])
        if "decision" in wanted:
            logs = logs.filter(decision=wanted["decision"])
        if "camera" in wanted:
            logs = logs.filter(snapshot__camera_id=wanted["camera"])
        if "since" in wanted:
            logs = logs.filter(created_at__gte=wanted["since"])
        return logs.order_by("-created_at", "-id")


@extend_schema(
    summary="Review a face",
    description="JSON: action confirm (the system was right), reject (not this person: it counts for nobody), "
    "reassign (it is `person`) or undo (back to the system's decision), and an optional note. Attendance follows; "
    "audited.",
    request=s.LogReviewSerializer,
    responses={
        200: OpenApiResponse(s.MatchLogSerializer, "The face as /api/logs/ lists it, reviewed."),
        400: OpenApiResponse(OpenApiTypes.OBJECT, "Invalid fields ({field: [reason]}), or the action cannot be "
                             "done ({error}: e.g. undo of a face nobody reviewed)."),
    },
)
@api_view(["POST"])
@permission_classes([HasRole(OPERATOR)])
@parser_classes([BoundedJSONParser])
def log_review(request: Request, log_id: int) -> Response:
    log = get_object_or_404(LOGS, pk=log_id)
    serializer = s.LogReviewSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    action, person, note = data["action"], data.get("person"), data["note"]
    try:
        if action == s.LogReviewSerializer.CONFIRM:
            review.log_confirm(log=log, user=request.user)
        elif action == s.LogReviewSerializer.REJECT:
            review.log_reject(log=log, user=request.user, note=note)
        elif action == s.LogReviewSerializer.REASSIGN:
            review.log_reassign(log=log, person=person, user=request.user, note=note)
        else:
            review.log_review_undo(log=log, user=request.user)
    except DjangoValidationError as exc:
        return Response({"error": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    return Response(s.MatchLogSerializer(LOGS.get(pk=log.pk)).data)


class ApiDocsView(SpectacularSwaggerSplitView):
    """The API reference (Swagger UI) for anyone with a role, as the schema is. The split view sends its
    start-up script as a file of its own (?script), since the CSP runs no inline script."""

    permission_classes = [HasRole(VIEWER)]
    url_name = "api-schema"

    def handle_exception(self, exc: Exception) -> HttpResponseBase:
        if isinstance(exc, NotAuthenticated):  # a page for people: the signed-out are sent to sign in, as on every page
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
