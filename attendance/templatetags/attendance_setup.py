"""The register's setup on identity's pages, which never import attendance: {% groups_nav_link %}
(the base layout: for those who may see groups), {% person_register_setup person %} (a person's
groups and planned absences) and {% camera_attendance_role camera %} (a camera's role)."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from attendance.access import may_see_groups
from attendance.models import AttendanceCode, CameraRole
from attendance.setup_selectors import camera_role_of, person_setup

register = template.Library()
GROUP_PAGES = ("group-", "schedule-", "closure-", "code-", "absence-")


@register.simple_tag(takes_context=True)
def groups_nav_link(context) -> str:
    request = context.get("request")
    if request is None or not may_see_groups(request.user):
        return ""
    match = getattr(request, "resolver_match", None)
    current = match is not None and (match.url_name or "").startswith(GROUP_PAGES)
    return format_html('<a href="{}"{}>Groups</a>', reverse("group-list"),
                       mark_safe(' aria-current="page"') if current else "")


@register.inclusion_tag("attendance/_person_setup.html", takes_context=True)
def person_register_setup(context, person) -> dict:
    codes = AttendanceCode.objects.filter(category=AttendanceCode.EXCUSED_ABSENCE)
    return {**person_setup(person=person), "person": person, "codes": codes, "csrf_token": context.get("csrf_token"),
            "next": context["request"].get_full_path()}


@register.inclusion_tag("attendance/_camera_role.html", takes_context=True)
def camera_attendance_role(context, camera) -> dict:
    return {"camera": camera, "role": camera_role_of(camera=camera), "choices": CameraRole.ROLE_CHOICES,
            "csrf_token": context.get("csrf_token")}
