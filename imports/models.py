"""Bulk enrolment: one row per import of a ZIP or a folder of photos (one sub-folder per person,
or photos named by person) with an optional CSV, worked through by the Celery workers in
batches. Its plan (names, photo paths) and ZIP are deleted however it ends (imports.ending); its
report stays, and loses a person's lines when that person is erased."""

from django.conf import settings
from django.db import models
from django.utils import timezone


def import_archive_path(instance, filename):
    return f"imports/{timezone.now():%Y/%m/%d}/{instance.pk or 'new'}-{timezone.now():%H%M%S%f}.zip"


class BulkImport(models.Model):
    PENDING, RUNNING, DONE, CANCELLED, FAILED = "pending", "running", "done", "cancelled", "failed"
    STATUS_CHOICES = [(PENDING, "Waiting"), (RUNNING, "Running"), (DONE, "Done"), (CANCELLED, "Cancelled"),
                      (FAILED, "Failed")]
    ENDED = (DONE, CANCELLED, FAILED)

    source = models.CharField(max_length=255)  # the ZIP's or folder's name, for the pages
    archive = models.FileField(upload_to=import_archive_path, blank=True)  # an uploaded ZIP (private media)
    folder = models.CharField(max_length=1000, blank=True)  # a folder on the server (manage.py import_people)
    consent = models.BooleanField(default=False)  # the importer asserts consent where the CSV does not say
    plan = models.JSONField(default=list, blank=True)  # [{"name", "code", "consent", "photos": [path, ...]}]
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    error = models.CharField(max_length=300, blank=True)  # why it failed, in words: never a name
    next_entry = models.PositiveIntegerField(default=0)  # the plan entry the next batch starts at
    people_total = models.PositiveIntegerField(default=0)
    photos_total = models.PositiveIntegerField(default=0)
    people_done = models.PositiveIntegerField(default=0)
    photos_done = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)  # photos already enrolled (an import run again, or a face held as someone else)
    report = models.JSONField(default=list, blank=True)  # [{"kind", "person", "person_id", "photo", "detail"}]
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(default=timezone.now)  # created, or its last batch saved: the stuck sweep's clock

    class Meta:
        ordering = ["-created_at", "-id"]
