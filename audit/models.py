"""The audit log: who changed what. Entries are never edited.

An entry names a person only through `person` (a foreign key): erasing the person empties it, so
the entry stays, saying what was done and by whom, without their name or face; `person_ref` keeps
the number they had. Users, cameras and tokens are named in `target`."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    PERSON_CREATED, PERSON_EDITED, PERSON_ERASED = "person.created", "person.edited", "person.erased"
    PHOTOS_ADDED, PHOTO_DELETED, PEOPLE_MERGED = "photos.added", "photo.deleted", "people.merged"
    PEOPLE_IMPORTED = "people.imported"
    REVIEW_DECIDED, REVIEW_UNDONE, STRANGER_NAMED = "review.decided", "review.undone", "stranger.named"
    STRANGERS_MERGED, PEOPLE_DISTINCT = "strangers.merged", "people.distinct"
    THRESHOLD_CHANGED, CAMERA_TOKEN_ROTATED = "threshold.changed", "camera.token_rotated"
    USER_CREATED, USER_ROLE_SET, USER_ACTIVE_SET = "user.created", "user.role_set", "user.active_set"
    USER_PASSWORD_RESET = "user.password_reset"
    # A user's own password: changed (from the old one, or forced at the first sign-in), or reset from an e-mailed link.
    PASSWORD_CHANGED, PASSWORD_RESET_SENT = "password.changed", "password.reset_sent"
    PASSWORD_RESET_DONE = "password.reset_done"
    API_TOKEN_CREATED, API_TOKEN_REVOKED = "api_token.created", "api_token.revoked"
    SIGN_IN_LOCKED = "sign_in.locked"
    # The register's setup (attendance.setup): groups, their members and responsible users, schedules, the calendar.
    GROUP_SAVED, GROUP_DELETED, GROUP_MEMBER_ADDED = "group.saved", "group.deleted", "group.member_added"
    GROUP_MEMBER_REMOVED, GROUP_RESPONSIBLE_SET = "group.member_removed", "group.responsible_set"
    SCHEDULE_SAVED, SCHEDULE_DELETED = "schedule.saved", "schedule.deleted"
    CLOSURE_SAVED, CLOSURE_DELETED = "closure.saved", "closure.deleted"
    CODE_SAVED, CODE_DELETED = "attendance_code.saved", "attendance_code.deleted"
    ABSENCE_SAVED, ABSENCE_DELETED = "planned_absence.saved", "planned_absence.deleted"
    CAMERA_ROLE_SET = "camera.role_set"
    CAMERA_CREATED, CAMERA_EDITED, CAMERA_ACTIVE_SET = "camera.created", "camera.edited", "camera.active_set"
    CAMERA_DELETED = "camera.deleted"
    ATTENDANCE_MARKED, ATTENDANCE_UNMARKED = "attendance.marked", "attendance.unmarked"
    ACTION_CHOICES = [
        (PERSON_CREATED, "Person created"),
        (PERSON_EDITED, "Person edited"),
        (PERSON_ERASED, "Person erased"),
        (PHOTOS_ADDED, "Photos added"),
        (PHOTO_DELETED, "Photo deleted"),
        (PEOPLE_MERGED, "People merged"),
        (PEOPLE_IMPORTED, "People imported"),
        (REVIEW_DECIDED, "Review decision"),
        (REVIEW_UNDONE, "Review undone"),
        (STRANGER_NAMED, "Stranger named"),
        (STRANGERS_MERGED, "Strangers merged"),
        (PEOPLE_DISTINCT, "Confirmed different people"),
        (THRESHOLD_CHANGED, "Threshold changed"),
        (CAMERA_TOKEN_ROTATED, "Camera token rotated"),
        (USER_CREATED, "User created"),
        (USER_ROLE_SET, "User role set"),
        (USER_ACTIVE_SET, "User activated or deactivated"),
        (USER_PASSWORD_RESET, "User password reset"),
        (PASSWORD_CHANGED, "Own password changed"),
        (PASSWORD_RESET_SENT, "Password reset link e-mailed"),
        (PASSWORD_RESET_DONE, "Password set from an e-mailed link"),
        (API_TOKEN_CREATED, "API token created"),
        (API_TOKEN_REVOKED, "API token revoked"),
        (SIGN_IN_LOCKED, "Sign-in locked"),
        (GROUP_SAVED, "Group created or edited"),
        (GROUP_DELETED, "Group deleted"),
        (GROUP_MEMBER_ADDED, "Added to a group"),
        (GROUP_MEMBER_REMOVED, "Removed from a group"),
        (GROUP_RESPONSIBLE_SET, "Group's responsible users set"),
        (SCHEDULE_SAVED, "Schedule created or edited"),
        (SCHEDULE_DELETED, "Schedule deleted"),
        (CLOSURE_SAVED, "Closure created or edited"),
        (CLOSURE_DELETED, "Closure deleted"),
        (CODE_SAVED, "Attendance code created or edited"),
        (CODE_DELETED, "Attendance code deleted"),
        (ABSENCE_SAVED, "Planned absence created or edited"),
        (ABSENCE_DELETED, "Planned absence deleted"),
        (CAMERA_ROLE_SET, "Camera's attendance role set"),
        (ATTENDANCE_MARKED, "Attendance marked by hand"),
        (ATTENDANCE_UNMARKED, "Attendance mark removed"),
        (CAMERA_CREATED, "Camera created"),
        (CAMERA_EDITED, "Camera edited"),
        (CAMERA_ACTIVE_SET, "Camera switched off or on"),
        (CAMERA_DELETED, "Camera deleted"),
    ]

    action = models.CharField(max_length=32, choices=ACTION_CHOICES)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # kept when the account is deleted; "" is the system
    person = models.ForeignKey("identity.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    person_ref = models.PositiveIntegerField(null=True, blank=True)  # the person's number, kept after erasure
    target = models.CharField(max_length=200, blank=True)  # a user, camera or token; never a person's name
    detail = models.CharField(max_length=300, blank=True)  # what changed, e.g. "viewer → operator"
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
