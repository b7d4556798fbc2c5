"""DRF permissions from the app's roles (identity/roles.py).

An anonymous request fails `has_role` too; DRF then answers 401 (not 403) because no
authenticator succeeded, so a missing or bad token is told apart from a wrong role.
"""

from rest_framework.permissions import BasePermission

from identity.roles import has_role


def HasRole(role: str) -> type[BasePermission]:  # noqa: N802 - a class factory, used like a class
    """A permission class that lets in users whose role is `role` or higher."""

    class RolePermission(BasePermission):
        required_role = role  # read by the route and fuzz tests
        message = f"This needs the {role} role."

        def has_permission(self, request, view) -> bool:
            return has_role(request.user, role)

    RolePermission.__name__ = RolePermission.__qualname__ = f"Has{role.capitalize()}Role"
    return RolePermission
