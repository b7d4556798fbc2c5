import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from identity.models import ApiToken


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


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new API token for `user`; returns it and its key, which is shown once and kept only as
    a digest."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:8], digest=api_token_digest(key))
    return token, key


def api_token_revoke(*, token: ApiToken) -> None:
    """The token stops authenticating at once; its row stays for the record."""
    ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now())
