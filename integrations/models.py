"""Events worth telling other systems, the webhook destinations they go to (one Delivery row
per event and destination: the delivery log) and the alert rules that raise events of their own."""

import secrets
import uuid

from django.db import models
from django.utils import timezone

from identity.models import Camera, Person


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Event(models.Model):
    VISIT_OPENED, VISIT_NAMED, VISIT_ENDED = "visit.opened", "visit.named", "visit.ended"
    PERSON_ARRIVED, STRANGER_SEEN, ENROLMENT_FINISHED = "person.arrived", "stranger.seen", "enrolment.finished"
    CAMERA_OFFLINE, CAMERA_ONLINE, ALERT, TEST = "camera.offline", "camera.online", "alert", "test"
    ATTENDANCE_ABSENT, ATTENDANCE_LATE = "attendance.absent", "attendance.late"
    TYPES = [
        (VISIT_OPENED, "A visit opened"),
        (VISIT_NAMED, "A visit was named (identity confirmed or changed)"),
        (VISIT_ENDED, "A visit ended"),
        (PERSON_ARRIVED, "A person arrived (first time today)"),
        (STRANGER_SEEN, "A stranger was seen"),
        (ENROLMENT_FINISHED, "A person's enrolment photos were all decided"),
        (CAMERA_OFFLINE, "A camera went offline"),
        (CAMERA_ONLINE, "A camera came online"),
        (ATTENDANCE_ABSENT, "A person is absent from a group's day (once per person, group and day)"),
        (ATTENDANCE_LATE, "A person arrived late for a group's day (once per person, group and day)"),
        (ALERT, "An alert rule fired"),
        (TEST, "A test event"),
    ]
    TYPE_NAMES = [name for name, _ in TYPES]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=32, choices=TYPES)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    provisional = models.CharField(max_length=20, blank=True)
    score = models.FloatField(null=True, blank=True)
    visit_id = models.BigIntegerField(null=True, blank=True)  # a MatchLog's id; retention may erase it first
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Destination(models.Model):
    """A webhook: where events are POSTed, which ones, and why it may be paused."""

    ANY, KNOWN, UNKNOWN = "any", "known", "unknown"
    IDENTITY_CHOICES = [(ANY, "Everyone"), (KNOWN, "Known people only"), (UNKNOWN, "Strangers only")]

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)  # Event type names; alerts go to the rules' chosen destinations
    cameras = models.ManyToManyField(Camera, blank=True, related_name="+")  # none: every camera
    people = models.ManyToManyField(Person, blank=True, related_name="+")  # none: everyone
    identity = models.CharField(max_length=8, choices=IDENTITY_CHOICES, default=ANY)
    secret = models.CharField(max_length=100, default=new_secret)
    include_crops = models.BooleanField(default=False)
    allow_private = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)  # the first failure since the last success
    last_success_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Delivery(models.Model):
    """One event for one destination: attempted until it is delivered or given up."""

    PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
    STATUS_CHOICES = [(PENDING, "Pending"), (DELIVERED, "Delivered"), (FAILED, "Given up")]

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)  # also the claim of an attempt under way
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    latency_ms = models.FloatField(null=True, blank=True)  # of the last attempt
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["destination", "event"], name="one_delivery_per_destination")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]


class AlertRule(models.Model):
    STRANGER_AT, PERSON_SEEN, NOT_ARRIVED = "stranger_at", "person_seen", "not_arrived"
    LATE, ABSENT = "late", "absent"  # the register's attendance.late / attendance.absent events
    KIND_CHOICES = [
        (STRANGER_AT, "Stranger at a camera between two times"),
        (PERSON_SEEN, "A person seen"),
        (NOT_ARRIVED, "A person not arrived by a time"),
        (LATE, "A person late (the register)"),
        (ABSENT, "A person absent (the register)"),
    ]
    COOLDOWN_KINDS, DEFAULT_COOLDOWN_MINUTES = (STRANGER_AT, PERSON_SEEN), 10
    WEEKDAYS = [0, 1, 2, 3, 4]  # Monday..Friday
    WEEKDAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, null=True, blank=True, related_name="+")  # none: any
    # late, absent: none is anyone
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    start_time = models.TimeField(null=True, blank=True)  # stranger_at: the window, local time
    end_time = models.TimeField(null=True, blank=True)  # before start_time: the window crosses midnight
    deadline = models.TimeField(null=True, blank=True)  # not_arrived: local time
    days = models.JSONField(default=list, blank=True)  # not_arrived: weekdays (Monday 0) it is checked on
    destinations = models.ManyToManyField(Destination, blank=True, related_name="rules")
    active = models.BooleanField(default=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_fired_day = models.DateField(null=True, blank=True)  # not_arrived fires once a day
    # stranger_at, person_seen: no second alert within this many minutes of one (0: every visit); the others
    # fire once a day (not_arrived) or once per person, group and day (late, absent) anyway.
    cooldown_minutes = models.PositiveIntegerField(default=DEFAULT_COOLDOWN_MINUTES)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def summary(self) -> str:
        """The rule in words, for its pages."""
        if self.kind == self.STRANGER_AT:
            window = (f" between {self.start_time:%H:%M} and {self.end_time:%H:%M}"
                      if self.start_time and self.end_time else "")
            return f"A stranger at {self.camera or 'any camera'}{window}"
        if self.kind == self.PERSON_SEEN:
            return f"{self.person} seen"
        if self.kind in (self.LATE, self.ABSENT):
            return f"{self.person or 'Anyone'} {self.kind} (the register)"
        days = ", ".join(self.WEEKDAY_NAMES[d] for d in sorted(self.days or [])) or "no day"
        deadline = f"{self.deadline:%H:%M}" if self.deadline else "?"
        return f"{self.person} not arrived by {deadline} ({days})"
