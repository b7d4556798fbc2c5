"""Roles: admin (everything), operator (enrol, dashboard, cameras, review), viewer (dashboard).

A user's role is the highest of: superuser (admin) and the groups named after the roles.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

ADMIN, OPERATOR, VIEWER = "admin", "operator", "viewer"
ROLES = (VIEWER, OPERATOR, ADMIN)
_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return role_from(is_superuser=user.is_superuser, group_names=user.groups.values_list("name", flat=True))


def role_from(*, is_superuser: bool, group_names) -> str | None:
    """The role an active account with these groups has."""
    if is_superuser:
        return ADMIN
    names = set(group_names)
    for role in reversed(ROLES):
        if role in names:
            return role
    return None


def has_role(user, role: str) -> bool:
    """True when the user's role is `role` or a higher one."""
    current = role_of(user)
    return current is not None and _RANK[current] >= _RANK[role]


def role_required(role: str):
    """View decorator: anonymous users go to the login page, others without `role` get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page needs the {role} role.")
            return view(request, *args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator


def role_context(request) -> dict:
    user = getattr(request, "user", None)
    role = role_of(user)
    return {
        "user_role": role,
        "is_operator": role in (OPERATOR, ADMIN),
        "is_admin": role == ADMIN,
    }
