"""Reads for the pages that are not plain queries: a snapshot's faces, the review queue, each
camera's live status (from what the readers and live workers publish in Redis)."""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value, When, Window
from django.db.models.functions import Abs, Coalesce, RowNumber
from django.utils import timezone

from faceapp.clock import site_date, site_day_bounds
from faceapp.redis_client import redis_client
from identity.matching import person_id_shown, similar_pairs
from identity.models import (
    Camera,
    DistinctPeople,
    FaceSample,
    MatchLog,
    Person,
    ProvisionalIdentity,
    Snapshot,
    embedding_from_bytes,
)
from identity.presenters import camera_status, snapshot_payload
from identity.roles import role_from
from identity.services.calibration import threshold_for
from identity.services.frames import camera_readings, frames_waiting


def effective_person_id(log: MatchLog) -> int | None:
    """Whom a face counts for: the reviewer's answer once reviewed, else the decided person."""
    if log.review_status != MatchLog.UNREVIEWED:
        return log.reviewed_person_id
    return log.person_id if log.decision == MatchLog.KNOWN else None


def evidence_logs(*, person_id) -> QuerySet[MatchLog]:
    """All logs whose effective person is `person_id` (the rule of effective_person_id, in SQL;
    `person_id` may be an OuterRef)."""
    unreviewed = Q(review_status=MatchLog.UNREVIEWED, decision=MatchLog.KNOWN, person_id=person_id)
    reviewed = ~Q(review_status=MatchLog.UNREVIEWED) & Q(reviewed_person_id=person_id)
    return MatchLog.objects.filter(unreviewed | reviewed)


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
    readings = camera_readings(camera_ids=[camera.pk for camera in cameras])
    return {
        camera.pk: camera_status(camera=camera, reader=readings[camera.pk].reader, live=readings[camera.pk].live,
                                 counts=readings[camera.pk].counts)
        for camera in cameras
    }


def metrics_gauges() -> dict:
    """What /metrics reads at scrape time: the gallery's size, each camera's state, the tasks waiting
    in each worker queue (the broker's lists in Redis) and the camera frames waiting."""
    cameras = list(Camera.objects.all())
    queues = sorted({"celery", *(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())})
    with redis_client().pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.llen(queue)
        depths = pipe.execute()
    return {
        "people": Person.objects.filter(active=True).count(),
        "samples": FaceSample.objects.filter(status=FaceSample.ACCEPTED).count(),
        "camera_states": {pk: status["state"] for pk, status in camera_statuses(cameras=cameras).items()},
        "queues": dict(zip(queues, depths)),
        "frames_waiting": frames_waiting(camera_ids=[camera.pk for camera in cameras]),
    }


def snapshot_result(*, snapshot: Snapshot) -> dict:
    """The stored recognition result of a snapshot (identity.presenters.snapshot_payload)."""
    logs = list(MatchLog.objects.filter(snapshot=snapshot).select_related("person", "provisional"))
    return snapshot_payload(snapshot, logs=logs)


def recent_visits(*, limit: int, since: dt.datetime | None = None) -> list[MatchLog]:
    """The newest faces seen (one row per visit, seen after `since` if given), with what their feed line names."""
    logs = MatchLog.objects.select_related("person", "provisional", "snapshot__camera")
    if since is not None:
        logs = logs.filter(last_seen__gt=since)
    return list(logs[:limit])


def camera_visits_today(*, camera_id: int, limit: int = 50) -> list[MatchLog]:
    """The visits at one camera seen today (the site's day), newest first, with what their line names."""
    start, _ = site_day_bounds(site_date())
    logs = MatchLog.objects.filter(snapshot__camera_id=camera_id, last_seen__gte=start)
    return list(logs.select_related("person", "provisional", "snapshot__camera")[:limit])


def latest_snapshot_result(*, since: dt.datetime | None = None) -> dict | None:
    """The newest decided snapshot (received after `since` if given) as a `recognition.result`
    (its boxes need its size)."""
    snapshots = Snapshot.objects.filter(status=Snapshot.DONE).select_related("camera")
    snapshot = (snapshots.filter(received_at__gt=since) if since is not None else snapshots).first()
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
    their accepted and total photos counted and whether they were seen today (a face of today
    counts for them): a fixed number of queries whatever the number of people."""
    accepted = Count("samples", filter=Q(samples__status=FaceSample.ACCEPTED), distinct=True)
    start, end = site_day_bounds(site_date())
    seen_today = evidence_logs(person_id=OuterRef("pk")).filter(created_at__gte=start, created_at__lt=end)
    people = Person.objects.annotate(
        accepted_samples=accepted, photo_count=Count("samples", distinct=True), seen_today=Exists(seen_today)
    )
    if query:
        people = people.filter(Q(name__icontains=query) | Q(code__icontains=query))
    people = people.order_by(*PEOPLE_SORTS.get(sort, PEOPLE_SORTS["name"]))
    return Paginator(people, per_page).get_page(page)


def person_by_display_id(text: str) -> Person | None:
    """The person a page shows as `text`: their code, or P-<id> for one without a code."""
    person_id = person_id_shown(text)
    if person_id is not None:
        return Person.objects.filter(pk=person_id, code=None).first()
    return Person.objects.filter(code=text).first() if text else None


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


HISTORY_REVIEWS = {
    "unreviewed": [MatchLog.UNREVIEWED],
    "reviewed": [MatchLog.CONFIRMED, MatchLog.REJECTED, MatchLog.REASSIGNED],
    "confirmed": [MatchLog.CONFIRMED],
    "rejected": [MatchLog.REJECTED],
    "reassigned": [MatchLog.REASSIGNED],
}


def recognition_history(
    *, who: str = "", camera_id: int | None = None, decision: str = "", review: str = "",
    start: dt.date | None = None, end: dt.date | None = None, page: str | int = 1, per_page: int = 50,
) -> Page:
    """Recognised faces newest first, filtered: `who` in a decided or reviewed person's name or
    code, or a stranger's ID; a camera; known/unknown; a HISTORY_REVIEWS state; site days."""
    logs = MatchLog.objects.select_related("snapshot__camera", "person", "reviewed_person", "reviewed_by", "provisional")
    if who:
        logs = logs.filter(
            Q(person__name__icontains=who) | Q(person__code__iexact=who) | Q(reviewed_person__name__icontains=who)
            | Q(reviewed_person__code__iexact=who) | Q(assigned_id__iexact=who)
        )
    if camera_id is not None:
        logs = logs.filter(snapshot__camera_id=camera_id)
    if decision in dict(MatchLog.DECISION_CHOICES):
        logs = logs.filter(decision=decision)
    if review in HISTORY_REVIEWS:
        logs = logs.filter(review_status__in=HISTORY_REVIEWS[review])
    if start is not None:
        logs = logs.filter(created_at__gte=site_day_bounds(start)[0])
    if end is not None:
        logs = logs.filter(created_at__lt=site_day_bounds(end)[1])
    return Paginator(logs.order_by("-created_at", "-id"), per_page).get_page(page)


STRANGER_FACES = 4  # faces shown per stranger


def strangers_overview(*, limit: int = 100) -> list[ProvisionalIdentity]:
    """Unnamed strangers, most recently seen first, each with `seen_this_week` and `face_ids`
    (their newest faces with a crop): three queries whatever their number."""
    week_ago = timezone.now() - dt.timedelta(days=7)
    strangers = list(
        ProvisionalIdentity.objects.filter(promoted_to__isnull=True)
        .annotate(seen_this_week=Count("logs", filter=Q(logs__created_at__gte=week_ago)))
        .order_by("-last_seen")[:limit]
    )
    newest = Window(RowNumber(), partition_by=F("provisional_id"), order_by=[F("created_at").desc(), F("id").desc()])
    faces = (
        MatchLog.objects.filter(provisional__in=strangers).exclude(crop="")
        .annotate(rank=newest).filter(rank__lte=STRANGER_FACES).values_list("provisional_id", "id")
    )
    by_stranger: dict[int, list[int]] = {}
    for provisional_id, log_id in faces:
        by_stranger.setdefault(provisional_id, []).append(log_id)
    for stranger in strangers:
        stranger.face_ids = by_stranger.get(stranger.pk, [])
    return strangers


def stranger_suggestions(*, strangers: list[ProvisionalIdentity], dim: int, threshold: float) -> list[tuple]:
    """((stranger, stranger), similarity) for the pairs that are likely one person, most alike first;
    in each pair the stranger seen first comes first (the one a merge keeps)."""
    usable = [s for s in strangers if len(s.embeddings) and len(s.embeddings) % (4 * dim) == 0]
    groups = [embedding_from_bytes(s.embeddings).reshape(-1, dim) for s in usable]
    pairs = similar_pairs(groups, threshold=threshold)
    return [(tuple(sorted((usable[i], usable[j]), key=lambda s: (s.first_seen, s.pk))), similarity)
            for i, j, similarity in pairs]


def duplicate_pairs(*, found: Sequence[tuple[int, int, float]], limit: int = 50) -> list[tuple[tuple[Person, Person], float]]:
    """((person, person), similarity) for the pairs of active people the duplicate search found
    (identity.services.duplicate_search), most alike first, less the pairs confirmed as
    different people. In each pair the one enrolled first comes first (the one a merge keeps);
    each person has `sample_id`, the face the page shows."""
    confirmed = set(DistinctPeople.objects.values_list("first_id", "second_id"))
    chosen = [(i, j, alike) for i, j, alike in found if DistinctPeople.pair(i, j) not in confirmed]
    people = (Person.objects.filter(active=True).annotate(sample_id=_first_sample_of("pk"))
              .in_bulk({p for i, j, _ in chosen for p in (i, j)}))
    chosen = [(i, j, alike) for i, j, alike in chosen if i in people and j in people][:limit]  # merged or erased since
    return [(tuple(sorted((people[i], people[j]), key=lambda p: (p.created_at, p.pk))), alike)
            for i, j, alike in chosen]
