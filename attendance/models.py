"""Attendance: one record per (person, day), derived from the faces that count for the person
(identity's match logs) and kept up to date from identity's domain events (attendance.receivers)."""

from django.db import models

from identity.models import Camera, Person


class AttendanceRecord(models.Model):
    # Rebuilt from the faces on a merge (identity.services.merge): the merged person's rows go
    # with them rather than move (two rows of one day would collide), then `into`'s are recomputed.
    rebuilt_on_merge = True

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendance")
    day = models.DateField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        db_table = "identity_attendancerecord"  # the table it had in identity: every day kept (migrations 0001)
        ordering = ["-day", "person__name"]
        constraints = [models.UniqueConstraint(fields=["person", "day"], name="one_record_per_person_day")]
