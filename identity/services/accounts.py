import secrets

from django.contrib.auth import get_user_model
from django.db import transaction


def admin_account_ensure(*, username: str = "admin", password: str = "") -> str | None:
    """Create the first admin account if no superuser exists yet.

    Returns the password when an account was created (generated when none was given),
    else None: a second run never changes an existing account.
    """
    User = get_user_model()
    # Two stacks starting at once must not both create an admin.
    with transaction.atomic():
        if User.objects.select_for_update().filter(is_superuser=True).exists():
            return None
        password = password or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
    return password
