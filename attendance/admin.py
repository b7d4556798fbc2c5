"""Attendance in the Django admin: browsable, never edited (it follows the reviewed faces)."""

from django.contrib import admin

from attendance.models import AttendanceRecord


@admin.register(AttendanceRecord)
class AttendanceRecordAdmin(admin.ModelAdmin):
    list_display = ("day", "person", "first_seen", "last_seen", "camera")
    list_filter = (("camera", admin.RelatedOnlyFieldListFilter),)
    date_hierarchy = "day"
    search_fields = ("person__name", "person__code")
    readonly_fields = ("person", "day", "first_seen", "last_seen", "camera")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # attendance follows the reviewed logs: review those instead
