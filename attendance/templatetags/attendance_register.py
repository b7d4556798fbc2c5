"""{% register_nav_link %}: the base layout's "Register" (the summary of the groups a user may
read), for operators, admins and viewers responsible for a group."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from attendance.access import may_see_groups

register = template.Library()


@register.simple_tag(takes_context=True)
def register_nav_link(context) -> str:
    request = context.get("request")
    if request is None or not may_see_groups(request.user):
        return ""
    match = getattr(request, "resolver_match", None)
    current = match is not None and (match.url_name or "").startswith("register-")
    return format_html('<a href="{}"{}>Register</a>', reverse("register-summary"),
                       mark_safe(' aria-current="page"') if current else "")
