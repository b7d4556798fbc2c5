"""Reads for the pages that are not plain queries: a snapshot's faces, the review queue, each
camera's live status (from what the readers and live workers publish in Redis)."""

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Abs, Coalesce

from faceapp.clock import site_date
from identity.models import AttendanceRecord, Camera, FaceSample, MatchLog, Person, Snapshot
from identity.presenters import camera_status, snapshot_payload
from identity.roles import role_from
from identity.services.calibration import threshold_for
from identity.services.frames import frame_counts, live_stats, reader_status


def _first_sample_of(person_field: str) -> Subquery:
    """The id of a person's first accepted sample with a crop: the face the pages show for them."""
    samples = FaceSample.objects.filter(person=OuterRef(person_field), status=FaceSample.ACCEPTED).exclude(crop="")
    return Subquery(samples.order_by("id").values("id")[:1])


def with_candidate_sample(logs):
    """Logs annotated with `candidate_sample_id`, the candidate's first accepted sample with a
    crop (the face shown beside theirs), in the same query."""
    return logs.annotate(candidate_id=Coalesce(F("person"), F("best_person"))).annotate(
        candidate_sample_id=_first_sample_of("candidate_id")
    )


def review_queue(*, limit: int = 50) -> list[MatchLog]:
    """Unreviewed faces, least certain first: |similarity - threshold in force| ascending, then
    the smallest margin; faces compared against nobody (empty gallery) come last."""
    default = threshold_for(None)
    logs = (
        with_candidate_sample(MatchLog.objects.filter(review_status=MatchLog.UNREVIEWED))
        .select_related("snapshot__camera", "person", "best_person", "reviewed_person", "provisional")
        .annotate(
            distance=Case(
                When(similarity__isnull=True, then=Value(99.0)),
                default=Abs(F("similarity") - Coalesce(F("threshold"), Value(default))),
                output_field=FloatField(),
            ),
            margin_order=Coalesce(F("margin"), Value(99.0)),
        )
        .order_by("distance", "margin_order", "-created_at", "-id")
    )
    return list(logs[:limit])


def camera_statuses(*, cameras: list[Camera]) -> dict[int, dict]:
    return {
        camera.pk: camera_status(
            camera=camera, reader=reader_status(camera_id=camera.pk), live=live_stats(camera_id=camera.pk),
            counts=frame_counts(camera_id=camera.pk),
        )
        for camera in cameras
    }


def snapshot_result(*, snapshot: Snapshot) -> dict:
    """The stored recognition result of a snapshot (identity.presenters.snapshot_payload)."""
    logs = list(MatchLog.objects.filter(snapshot=snapshot).select_related("person", "provisional"))
    return snapshot_payload(snapshot, logs=logs)


def recent_visits(*, limit: int) -> list[MatchLog]:
    """The newest faces seen (one row per visit), with what their feed line names."""
    return list(MatchLog.objects.select_related("person", "provisional", "snapshot__camera")[:limit])


def latest_snapshot_result() -> dict | None:
    """The newest decided snapshot as a `recognition.result` (its boxes need its size)."""
    snapshot = Snapshot.objects.filter(status=Snapshot.DONE).select_related("camera").first()
    if snapshot is None or not snapshot.width or not snapshot.height:
        return None
    return snapshot_result(snapshot=snapshot)


def live_cameras() -> list[Camera]:
    """Active cameras that send frames (not the upload and API sources of photos)."""
    kinds = (Camera.WEBCAM, *Camera.STREAM_KINDS)
    return list(Camera.objects.filter(active=True, kind__in=kinds).order_by("name"))


PEOPLE_SORTS = {
    "name": ("name", "id"), "-name": ("-name", "-id"), "code": ("code", "name"), "-code": ("-code", "name"),
    "photos": ("accepted_samples", "name"), "-photos": ("-accepted_samples", "name"),
    "enrolled": ("created_at", "id"), "-enrolled": ("-created_at", "-id"),
}


def people_page(*, query: str = "", sort: str = "name", page: str | int = 1, per_page: int = 50):
    """One page of people matching `query` (name or code), sorted by a PEOPLE_SORTS key, each with
    their accepted and total photos counted and whether they were seen today: a fixed number of
    queries whatever the number of people."""
    accepted = Count("samples", filter=Q(samples__status=FaceSample.ACCEPTED), distinct=True)
    seen_today = AttendanceRecord.objects.filter(person=OuterRef("pk"), day=site_date())
    people = Person.objects.annotate(
        accepted_samples=accepted, photo_count=Count("samples", distinct=True), seen_today=Exists(seen_today)
    )
    if query:
        people = people.filter(Q(name__icontains=query) | Q(code__icontains=query))
    people = people.order_by(*PEOPLE_SORTS.get(sort, PEOPLE_SORTS["name"]))
    return Paginator(people, per_page).get_page(page)


def people_search(*, query: str, limit: int = 10) -> list[Person]:
    """Active people whose name or code contains `query`, names starting with it first, each with
    `sample_id`, their first accepted sample with a crop (the face shown beside the name)."""
    people = Person.objects.filter(active=True).filter(Q(name__icontains=query) | Q(code__icontains=query))
    starts = Case(When(name__istartswith=query, then=Value(0)), default=Value(1))
    return list(people.annotate(sample_id=_first_sample_of("pk"), starts=starts).order_by("starts", "name", "id")[:limit])


def users_with_roles() -> list:
    """Every user by name, each with `role` (None: no role) and `active_tokens` counted: two queries."""
    users = list(
        get_user_model().objects.prefetch_related("groups")
        .annotate(active_tokens=Count("api_tokens", filter=Q(api_tokens__revoked_at=None)))
        .order_by("username")
    )
    for user in users:  # an inactive user's role is what they would have back when activated
        user.role = role_from(is_superuser=user.is_superuser, group_names=[group.name for group in user.groups.all()])
    return users
