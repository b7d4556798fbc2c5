"""faceapp's data: people and their face samples, cameras and snapshots, match logs,
provisional identities for strangers (attendance is its own app: attendance.models).

Embeddings are stored as raw float32 bytes (`embedding_to_bytes` / `embedding_from_bytes`).
Files (photos, crops) live in the media storage (MEDIA_ROOT, or the FACEAPP_MEDIA_S3_BUCKET bucket)
and are only served by views that check roles.
"""

import secrets
import uuid

import numpy as np
from django.conf import settings
from django.db import models
from django.utils import timezone

from identity.matching import person_display_id


def embedding_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def embedding_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)


def _media_path(folder: str, filename: str) -> str:
    # Random names: no personal data in paths, no collisions between uploads.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    day = timezone.now().strftime("%Y/%m/%d")
    return f"{folder}/{day}/{uuid.uuid4().hex}.{extension[:5]}"


def sample_photo_path(instance, filename):
    return _media_path("samples", filename)


def sample_crop_path(instance, filename):
    return _media_path("crops/samples", filename)


def snapshot_image_path(instance, filename):
    return _media_path("snapshots", filename)


def matchlog_crop_path(instance, filename):
    return _media_path("crops/logs", filename)


class Person(models.Model):
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=64, unique=True, null=True, blank=True)
    active = models.BooleanField(default=True)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    @property
    def display_id(self) -> str:
        return person_display_id(self.pk, self.code)


class FaceSample(models.Model):
    """One enrolment photo of a person: pending until a worker accepts or rejects it."""

    PENDING, ACCEPTED, REJECTED, HELD = "pending", "accepted", "rejected", "held"
    STATUS_CHOICES = [(PENDING, "Pending"), (ACCEPTED, "Accepted"), (REJECTED, "Rejected"), (HELD, "Held")]

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="samples")
    photo = models.FileField(upload_to=sample_photo_path, blank=True)
    crop = models.FileField(upload_to=sample_crop_path, blank=True)
    embedding = models.BinaryField(null=True, blank=True)
    # The flip embedding (model_id + "+flip") beside a plain one, for adaptive mode: services/gallery.py
    flip_embedding = models.BinaryField(null=True, blank=True)
    model_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    reason = models.CharField(max_length=200, blank=True)
    quality = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=20, default="upload")  # upload, webcam, api, review
    filename = models.CharField(max_length=255, blank=True)  # the name the photo was uploaded under
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)  # of the file: an import run again skips it
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # HELD: the gallery names this face as `held_as`, another enrolled person (identity.services.duplicates)
    held_as = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "model_id"])]


def enrolment_complete(person_ref: str = "pk") -> models.Q:
    """Whether the person (`person_ref`, an OuterRef's field) is a complete entry: an accepted
    photo, or no photo at all (someone who checks in by code at a kiosk). One whose photos were
    all rejected or held (a failed enrolment, a duplicate) is incomplete: no camera can see them,
    so attendance never expects them."""
    photos = FaceSample.objects.filter(person_id=models.OuterRef(person_ref))
    return models.Q(models.Exists(photos.filter(status=FaceSample.ACCEPTED))) | ~models.Q(models.Exists(photos))


class DistinctPeople(models.Model):
    """Two enrolled people whose faces the gallery names as each other, confirmed by someone to
    be different people (twins): a photo of one is no longer held as the other, and the pair
    leaves the duplicates list. `first` is the one with the lower id."""

    first = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)
    forgotten_on_merge = True  # identity.services.merge: a merged person's confirmations go with them

    @staticmethod
    def pair(a: int, b: int) -> tuple[int, int]:
        """(first, second) of two people's ids."""
        return (a, b) if a < b else (b, a)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="distinct_people_once"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="distinct_people_ordered"),
        ]


def new_camera_token() -> str:
    return secrets.token_urlsafe(32)


class Camera(models.Model):
    WEBCAM, UPLOAD, API = "webcam", "upload", "api"
    RTSP, MJPEG, SNAPSHOT, FILE = "rtsp", "mjpeg", "snapshot", "file"  # read by the server
    KIND_CHOICES = [
        (WEBCAM, "Browser webcam"), (RTSP, "RTSP stream"), (MJPEG, "HTTP MJPEG stream"),
        (SNAPSHOT, "HTTP snapshot URL"), (FILE, "Video file"), (UPLOAD, "Upload"), (API, "API"),
    ]
    STREAM_KINDS = (RTSP, MJPEG, SNAPSHOT, FILE)

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=WEBCAM)
    # Stream kinds: the URL's address, without credentials (identity.live.source_url), or the file's
    # path: what is shown, logged and sent. The credentials apart, sealed (identity.services.camera_sources).
    source_address = models.TextField(blank=True)
    source_secret = models.TextField(blank=True)
    fps = models.FloatField(default=5.0)  # frames a second taken from a stream
    poll_seconds = models.FloatField(default=2.0)  # snapshot URLs: one request every this many seconds
    token = models.CharField(max_length=64, unique=True, default=new_camera_token)
    active = models.BooleanField(default=True)
    # Per-camera override of the global match threshold (set by calibration).
    threshold = models.FloatField(null=True, blank=True)
    # Skip the face detector on frames where nothing moved and no face is followed (identity.live.motion).
    motion_gate = models.BooleanField(default=True)
    # The smallest face to find, in the camera's pixels: sizes the detector's input (null: FACEAPP_CAMERA_MIN_FACE_PX).
    min_face_px = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_stream(self) -> bool:
        return self.kind in self.STREAM_KINDS


class Snapshot(models.Model):
    """One photo or camera frame to recognise."""

    PENDING, PROCESSING, DONE, FAILED = "pending", "processing", "done", "failed"
    STATUS_CHOICES = [
        (PENDING, "Pending"),
        (PROCESSING, "Processing"),
        (DONE, "Done"),
        (FAILED, "Failed"),
    ]
    RETRYABLE = (FAILED, PENDING)  # a pending one may have lost its queued task

    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True)
    # The name of the camera it came from, once that camera is deleted (its visits stay); "" otherwise.
    deleted_camera = models.CharField(max_length=100, blank=True)
    image = models.FileField(upload_to=snapshot_image_path)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default=PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    face_count = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"])]

    @property
    def is_retryable(self) -> bool:
        return self.status in self.RETRYABLE

    @property
    def source_name(self) -> str:
        """Where it came from, as the pages say it: the camera's name, "Hall (deleted camera)" or "Upload"."""
        if self.camera is not None:
            return self.camera.name
        return f"{self.deleted_camera} (deleted camera)" if self.deleted_camera else "Upload"


class ProvisionalIdentity(models.Model):
    """A stranger seen by the cameras: a stable label until someone names them."""

    label = models.CharField(max_length=20, unique=True)
    # Up to a few representative embeddings, float32 rows of the embedder's width.
    embeddings = models.BinaryField()
    model_id = models.CharField(max_length=100, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    sightings = models.PositiveIntegerField(default=1)
    promoted_to = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="provisional_ids"
    )

    class Meta:
        ordering = ["-last_seen"]
        verbose_name_plural = "provisional identities"

    def __str__(self) -> str:
        return self.label


class MatchLog(models.Model):
    """A visit: one face followed over the frames of one appearance (a camera track, or a
    face of an uploaded photo: a one-frame visit) and what the system decided about it.
    Its snapshot holds the best frame as evidence, its crop the best face."""

    KNOWN, UNKNOWN, TOO_SMALL = "known", "unknown", "too_small"
    # Too small: under the model's name size (FaceEngine.min_name_px), never guessed
    DECISION_CHOICES = [(KNOWN, "Known"), (UNKNOWN, "Unknown"), (TOO_SMALL, "Too small to name")]
    UNREVIEWED, CONFIRMED, REJECTED, REASSIGNED = "unreviewed", "confirmed", "rejected", "reassigned"
    REVIEW_CHOICES = [
        (UNREVIEWED, "Unreviewed"),
        (CONFIRMED, "Confirmed"),
        (REJECTED, "Rejected"),
        (REASSIGNED, "Reassigned"),
    ]

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="logs")
    face_index = models.PositiveIntegerField()
    box = models.JSONField()  # [x1, y1, x2, y2] in the snapshot's pixels
    crop = models.FileField(upload_to=matchlog_crop_path, blank=True)
    embedding = models.BinaryField()
    model_id = models.CharField(max_length=100, blank=True)
    quality = models.JSONField(default=dict, blank=True)
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="match_logs"
    )
    best_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    similarity = models.FloatField(null=True, blank=True)  # to the best enrolled person
    margin = models.FloatField(null=True, blank=True)  # best minus second-best person
    threshold = models.FloatField(null=True, blank=True)  # in force when decided
    provisional = models.ForeignKey(
        ProvisionalIdentity, on_delete=models.SET_NULL, null=True, blank=True, related_name="logs"
    )
    assigned_id = models.CharField(max_length=64)
    decision = models.CharField(max_length=10, choices=DECISION_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)  # first seen
    last_seen = models.DateTimeField()  # unset: the same as created_at (a one-frame visit)
    frame_count = models.PositiveIntegerField(default=1)
    review_status = models.CharField(max_length=12, choices=REVIEW_CHOICES, default=UNREVIEWED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=200, blank=True)
    # Who the reviewer says it truly is (None: nobody known); the decision fields above stay.
    reviewed_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviewed_logs"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A re-delivered task must not log the same face twice.
            models.UniqueConstraint(fields=["snapshot", "face_index"], name="unique_face_per_snapshot")
        ]
        indexes = [
            models.Index(fields=["review_status", "created_at"]),
            models.Index(fields=["person", "created_at"]),
        ]

    def save(self, *args, **kwargs):
        if self.last_seen is None:
            self.last_seen = self.created_at
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """What the pages call this face: the person's name, else the stranger's label, else
        "too small to name"."""
        if self.person is not None:
            return self.person.name
        if self.decision == self.TOO_SMALL:
            return "too small to name"
        return self.provisional.label if self.provisional is not None else self.assigned_id

    @property
    def candidate(self) -> "Person | None":
        """The enrolled person this face was compared against: the decided one, else the best
        guess (selectors.with_candidate_sample is the same rule in SQL)."""
        return self.person if self.person_id else self.best_person


class MatchLogReview(models.Model):
    """One review action on a match log: the audit trail, never edited."""

    CONFIRM, REJECT, REASSIGN, PROMOTE, ADD_SAMPLE = "confirm", "reject", "reassign", "promote", "add_sample"
    UNDO = "undo"
    ACTION_CHOICES = [
        (CONFIRM, "Confirmed"),
        (REJECT, "Rejected (not this person)"),
        (REASSIGN, "Reassigned"),
        (PROMOTE, "Provisional ID promoted to a person"),
        (ADD_SAMPLE, "Added as a sample"),
        (UNDO, "Review undone"),
    ]

    log = models.ForeignKey(MatchLog, on_delete=models.CASCADE, related_name="reviews")
    action = models.CharField(max_length=12, choices=ACTION_CHOICES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    from_person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    to_person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ThresholdChange(models.Model):
    """The match threshold applied globally (camera None) or to one camera; the newest global
    row is in force. Rows are history: applying again adds a row."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    threshold = models.FloatField(null=True, blank=True)  # None: back to FACEAPP_MATCH_THRESHOLD
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applied_at = models.DateTimeField(default=timezone.now)
    genuine_count = models.PositiveIntegerField(default=0)  # reviews the calibration rested on
    impostor_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-applied_at", "-id"]


class ApiToken(models.Model):
    """An API key of a user, stored as its SHA-256 digest: the key itself is shown once, when
    made (identity.services.accounts.api_token_create), and is nowhere in the database."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=8)  # the key's first characters, to tell tokens apart in lists
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class UserProfile(models.Model):
    """A user's own settings: the time zone their pages show times in ("" for the site's), and
    whether they must choose their own password before anything else (an admin set this one)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, blank=True)
    password_change_due = models.BooleanField(default=False)
