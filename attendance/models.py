"""Attendance, kept up to date from identity's domain events (attendance.receivers).

- AttendanceRecord: one per (person, day), the first and last sighting, derived from the faces
  that count for the person (identity's match logs).
- The register (as Frappe HRMS keeps it): an append-only AttendanceEvent log (IN/OUT/SEEN from
  named visits, marks by hand) apart from the derived RegisterDay, with the rules in dated
  Schedules of Groups, Closures, PlannedAbsences and the site's AttendanceCodes.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from attendance import rules
from identity.models import Camera, Person, _media_path


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


class Group(models.Model):
    """A class, team or department: whom a schedule expects, and whom its responsible users see."""

    CLASS, TEAM, DEPARTMENT = "class", "team", "department"
    KIND_CHOICES = [(CLASS, "Class"), (TEAM, "Team"), (DEPARTMENT, "Department")]

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default=CLASS)
    members = models.ManyToManyField(Person, related_name="attendance_groups", blank=True)
    # A viewer among these reads and corrects the group's attendance; operators and admins see every group.
    responsible = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="responsible_groups", blank=True)
    # A member's unexcused absence is e-mailed to their contacts (attendance.notices).
    notify_contacts = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """A group's weekly timetable and its minutes, in force from `starts_on` until the next
    schedule's: a change never rewrites the days before it (each derived day names its schedule)."""

    CLOSE_OUT_CHOICES = [(rules.CLOSE_AT_SESSION_END, "at the end of the last session"),
                         (rules.CLOSE_AT_LAST_SIGHTING, "at the last sighting")]

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="schedules")
    starts_on = models.DateField()
    grace_late = models.PositiveSmallIntegerField(default=5)  # minutes after a start that are not late yet
    grace_early = models.PositiveSmallIntegerField(default=5)  # minutes before an end that are not early yet
    absent_after = models.PositiveSmallIntegerField(default=30)  # minutes after a start: nobody seen is absent
    checkin_before = models.PositiveSmallIntegerField(default=60)  # a check-in counts from this long before a start
    checkout_after = models.PositiveSmallIntegerField(default=240)  # a check-out counts until this long after an end
    close_out = models.CharField(max_length=12, choices=CLOSE_OUT_CHOICES, default=rules.CLOSE_AT_SESSION_END)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group", "-starts_on"]
        constraints = [models.UniqueConstraint(fields=["group", "starts_on"], name="one_schedule_per_group_and_date")]


class ScheduleSession(models.Model):
    """One session of a schedule's week. `overnight`: it ends the next day (a night shift, which
    counts for the day it starts); said by the user, never guessed from an end before the start."""

    WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="sessions")
    weekday = models.PositiveSmallIntegerField(choices=list(enumerate(WEEKDAYS)))  # date.weekday()
    start = models.TimeField()
    end = models.TimeField()
    overnight = models.BooleanField(default=False)

    class Meta:
        ordering = ["weekday", "start"]


class Closure(models.Model):
    """A holiday or closure from `first_day` to `last_day`, for every group or for some."""

    name = models.CharField(max_length=100)
    first_day = models.DateField()
    last_day = models.DateField()
    groups = models.ManyToManyField(Group, related_name="closures", blank=True)  # none: every group

    class Meta:
        ordering = ["-first_day"]


class AttendanceCode(models.Model):
    """A site's own attendance code (e.g. "S: sick"), mapped onto one of the five categories."""

    PRESENT, TARDY, EARLY_DEPARTURE = "present", "tardy", "early_departure"
    EXCUSED_ABSENCE, UNEXCUSED_ABSENCE = "excused_absence", "unexcused_absence"
    CATEGORY_CHOICES = [(PRESENT, "Present"), (TARDY, "Tardy"), (EARLY_DEPARTURE, "Early departure"),
                        (EXCUSED_ABSENCE, "Excused absence"), (UNEXCUSED_ABSENCE, "Unexcused absence")]

    label = models.CharField(max_length=40, unique=True)
    category = models.CharField(max_length=20, choices=CATEGORY_CHOICES)
    colour = models.CharField(max_length=7, default="#888888")  # #rrggbb

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class PlannedAbsence(models.Model):
    """A person away from `first_day` to `last_day` for a stated reason (leave, sick, a trip):
    never counted as an unexcused absence."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="planned_absences")
    first_day = models.DateField()
    last_day = models.DateField()
    code = models.ForeignKey(AttendanceCode, on_delete=models.PROTECT)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-first_day"]


class CameraRole(models.Model):
    """What a camera's sightings mean for attendance: an entry (IN), an exit (OUT), presence
    (SEEN: both ways) or a kiosk (a tablet at the door: IN, or OUT when the person is in now).
    A camera without one is a presence camera."""

    ENTRY, EXIT, PRESENCE, KIOSK = "entry", "exit", "presence", "kiosk"
    ROLE_CHOICES = [(ENTRY, "Entry: IN"), (EXIT, "Exit: OUT"), (PRESENCE, "Presence: seen"),
                    (KIOSK, "Kiosk: IN, or OUT when in")]

    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="attendance_role")
    role = models.CharField(max_length=10, choices=ROLE_CHOICES, default=PRESENCE)


class AttendanceEvent(models.Model):
    """The append-only log a person's days are derived from: IN, OUT and SEEN from named visits
    (the visit kept as `log`), and MARKs a responsible user made by hand. An event is never
    edited or deleted; a review that moves a visit, or a mark taken back, voids it instead. A
    ROLL_CALL is a member a user confirmed in a class photo (attendance.rollcall): seen at the
    session's start (`roll_call` names it)."""

    IN, OUT, SEEN, MARK, ROLL_CALL = rules.IN, rules.OUT, rules.SEEN, "mark", "rollcall"
    KIND_CHOICES = [(IN, "In"), (OUT, "Out"), (SEEN, "Seen"), (MARK, "Marked by hand"), (ROLL_CALL, "Roll call")]
    MARK_STATUSES = (rules.PRESENT, rules.LATE, rules.ABSENT, rules.EXCUSED)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendance_events")
    at = models.DateTimeField()  # when seen; for a mark, the start of the day or session it marks
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    camera = models.ForeignKey(Camera, on_delete=models.SET_NULL, null=True, blank=True)
    # The visit (match log) it came from; an id, not a key: a deleted visit's events are still found to void.
    log_id = models.PositiveBigIntegerField(null=True, blank=True)
    # A mark: the day (and group) it marks, the status it sets, its code and reason.
    day = models.DateField(null=True, blank=True)
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=12, blank=True)
    code = models.ForeignKey(AttendanceCode, on_delete=models.PROTECT, null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_why = models.CharField(max_length=100, blank=True)
    roll_call = models.ForeignKey("RollCall", on_delete=models.SET_NULL, null=True, blank=True, related_name="events")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["person", "at"]), models.Index(fields=["log_id"])]


class RegisterDay(models.Model):
    """One person's day in one group's register, derived from the events and the schedule in
    force (named, so a later schedule never rewrites it); `group` empty: a person in no group."""

    rebuilt_on_merge = True  # identity.services.merge: deleted with the merged person, rebuilt for the kept one

    STATUS_CHOICES = [(rules.PRESENT, "Present"), (rules.LATE, "Late"), (rules.LEFT_EARLY, "Left early"),
                      (rules.ABSENT, "Absent"), (rules.EXCUSED, "Excused"), (rules.HOLIDAY, "Holiday"),
                      (rules.NOT_EXPECTED, "Not expected"), (rules.PENDING, "Not yet")]

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="register_days")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="days")
    day = models.DateField()
    status = models.CharField(max_length=12, choices=STATUS_CHOICES)
    schedule = models.ForeignKey(Schedule, on_delete=models.SET_NULL, null=True, blank=True)
    code = models.ForeignKey(AttendanceCode, on_delete=models.SET_NULL, null=True, blank=True)
    first_in = models.DateTimeField(null=True, blank=True)
    last_out = models.DateTimeField(null=True, blank=True)
    minutes_on_site = models.PositiveIntegerField(default=0)
    minutes_late = models.PositiveIntegerField(default=0)
    minutes_early = models.PositiveIntegerField(default=0)
    forgotten_out = models.BooleanField(default=False)  # the last stay had no OUT: closed by the schedule's rule
    in_now = models.BooleanField(default=False)
    marked = models.BooleanField(default=False)  # a manual mark set the status
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "group", "day"], name="one_register_day_per_group",
                                    condition=models.Q(group__isnull=False)),
            models.UniqueConstraint(fields=["person", "day"], name="one_register_day_without_group",
                                    condition=models.Q(group__isnull=True)),
        ]
        indexes = [models.Index(fields=["group", "day"])]


class Contact(models.Model):
    """Someone told of a person's absences (a parent): a person may have several. Erased with the
    person (the foreign key cascades)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=100)
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]


class Notice(models.Model):
    """What was sent, once: an `attendance.absent` or `attendance.late` event per person, group and
    day, an absence notice to a person's contacts per person and day, a digest per group and day.
    The unique constraints decide a race (two workers deriving one day); a day derived again
    (even back to present) never removes its notice, so nothing is sent twice."""

    # identity.services.merge: the merged person's go with them (moved, two of one day would collide).
    rebuilt_on_merge = True

    ABSENT, LATE, CONTACTS, DIGEST = "absent", "late", "contacts", "digest"
    KIND_CHOICES = [(ABSENT, "attendance.absent event"), (LATE, "attendance.late event"),
                    (CONTACTS, "Absence notice to the contacts"), (DIGEST, "Daily digest")]
    MAILED = (CONTACTS, DIGEST)

    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    # Mail: sent when the server took it; tried at most MAIL_ATTEMPTS times (attendance.notices).
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    attempted_at = models.DateTimeField(null=True, blank=True)  # the last attempt began: also its claim
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-day", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "person", "group", "day"], name="one_event_notice_per_group_day",
                                    condition=models.Q(kind__in=["absent", "late"])),
            models.UniqueConstraint(fields=["kind", "person", "day"], name="one_contact_notice_per_person_day",
                                    condition=models.Q(kind="contacts")),
            models.UniqueConstraint(fields=["kind", "group", "day"], name="one_digest_per_group_day",
                                    condition=models.Q(kind="digest")),
        ]
        indexes = [models.Index(fields=["kind", "sent_at"])]


def roll_call_photo_path(instance, filename):
    return _media_path("rollcalls", filename)


class RollCall(models.Model):
    """A class photo a responsible user took for a group's session, or an operator for a chosen
    list of people (`people`, no group): its faces found and named (attendance.rollcall), kept
    so that the page survives a reload and a mark is written once."""

    PENDING, DONE, FAILED = "pending", "done", "failed"
    STATUS_CHOICES = [(PENDING, "Being read"), (DONE, "Read"), (FAILED, "Failed")]

    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="roll_calls")
    people = models.ManyToManyField(Person, blank=True, related_name="+")  # expected without a group
    day = models.DateField()
    session = models.ForeignKey(ScheduleSession, on_delete=models.SET_NULL, null=True, blank=True)
    at = models.DateTimeField()  # the session's start that day (else the photo's upload): when the members were seen
    photo = models.FileField(upload_to=roll_call_photo_path)  # private media, served by an access-checked view
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=PENDING)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    marked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class RollCallFace(models.Model):
    """One face of a roll call's photo, numbered as on the page: what the engine said of it
    (`decision`, `found`: whom it named or suggests) and whom it counts for (`person`: named as a
    member, or confirmed by the user). Erased with the person who is `found` or `person`
    (attendance.receivers blacks the face out of the photo first)."""

    NAMED, UNSURE, UNKNOWN, TOO_SMALL = "named", "unsure", "unknown", "too_small"
    DECISION_CHOICES = [(NAMED, "Named"), (UNSURE, "Unsure"), (UNKNOWN, "Not recognised"), (TOO_SMALL, "Too small")]

    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="faces")
    number = models.PositiveSmallIntegerField()
    box = models.JSONField()  # [x1, y1, x2, y2] in the photo's pixels
    size_px = models.FloatField()
    decision = models.CharField(max_length=10, choices=DECISION_CHOICES)
    found = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    similarity = models.FloatField(null=True, blank=True)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    class Meta:
        ordering = ["roll_call", "number"]
        constraints = [models.UniqueConstraint(fields=["roll_call", "number"], name="one_face_per_roll_call_number")]
