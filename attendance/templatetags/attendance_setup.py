"""The register's setup on identity's pages, which never import attendance: {% person_register_setup
person %} (a person's groups and planned absences) and {% camera_attendance_role camera %} (a camera's role)."""

from django import template

from attendance.models import AttendanceCode, CameraRole
from attendance.setup_selectors import camera_role_of, person_setup

register = template.Library()


@register.inclusion_tag("attendance/_person_setup.html", takes_context=True)
def person_register_setup(context, person) -> dict:
    codes = AttendanceCode.objects.filter(category=AttendanceCode.EXCUSED_ABSENCE)
    return {**person_setup(person=person), "person": person, "codes": codes, "csrf_token": context.get("csrf_token"),
            "next": context["request"].get_full_path()}


@register.inclusion_tag("attendance/_camera_role.html", takes_context=True)
def camera_attendance_role(context, camera) -> dict:
    return {"camera": camera, "role": camera_role_of(camera=camera), "choices": CameraRole.ROLE_CHOICES,
            "csrf_token": context.get("csrf_token")}
