"""The app's users (their roles, passwords, time zones) and their API tokens. Every change an
admin makes here is audited, and so is every change of a user's own password.

A password someone else set (an admin creating the user or giving them a new one) is due for a
change: until the user chooses their own, their sessions reach only the password change page
(faceapp.middleware.password_change_due_middleware); API tokens are not sessions and keep working."""

import hashlib
import secrets
from zoneinfo import available_timezones

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from identity.models import ApiToken, UserProfile
from identity.roles import ADMIN, ROLES, role_of


def admin_account_ensure(*, username: str = "admin", password: str = "") -> str | None:
    """Create the first admin account if no superuser exists yet.

    Returns the password when an account was created (generated when none was given, and then
    changed at the first sign-in, like any password printed for someone), else None: a second
    run never changes an existing account.
    """
    User = get_user_model()
    # Two stacks starting at once must not both create an admin.
    with transaction.atomic():
        if User.objects.select_for_update().filter(is_superuser=True).exists():
            return None
        generated = not password
        password = password or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username=username, email="", password=password)
        UserProfile.objects.create(user=user, password_change_due=generated)
    return password


def _role_groups_set(user, role: str) -> None:
    if role not in ROLES:
        raise ValidationError({"role": f"unknown role {role!r}: one of {', '.join(ROLES)}"})
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(Group.objects.get_or_create(name=role)[0])


def user_create(*, actor, username: str, role: str, email: str = "", password: str = "") -> tuple:
    """A new user with `role`; returns (user, password): the password given, or one generated to
    be shown once. Raises ValidationError for a taken name, an unknown role or a weak password."""
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": "a user name is required"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"the user name {username} is taken"})
    password = password or secrets.token_urlsafe(12)
    validate_password(password, User(username=username, email=email))
    # The account and its role group arrive together, or neither does.
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email.strip(), password=password)
        _role_groups_set(user, role)
        UserProfile.objects.create(user=user, password_change_due=True)
        audit_record(actor=actor, action=AuditEntry.USER_CREATED, target=username, detail=f"role {role}")
    return user, password


def _not_self(actor, user, what: str) -> None:
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(f"You cannot {what} your own account: ask another admin.")


def user_role_set(*, actor, user, role: str) -> None:
    """Give `user` the role; a superuser is always an admin, and nobody changes their own role
    (the last admin cannot lock everyone out)."""
    _not_self(actor, user, "change the role of")
    if user.is_superuser and role != ADMIN:
        raise ValidationError(f"{user.get_username()} is a superuser, always an admin: change that in the Django admin.")
    before = role_of(user) or "no role"
    with transaction.atomic():
        _role_groups_set(user, role)
        audit_record(actor=actor, action=AuditEntry.USER_ROLE_SET, target=user.get_username(), detail=f"{before} → {role}")


def user_active_set(*, actor, user, active: bool) -> None:
    """Activate or deactivate: a deactivated user's sessions, tokens and open sockets stop working."""
    _not_self(actor, user, "deactivate")
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        detail = "activated" if active else "deactivated"
        audit_record(actor=actor, action=AuditEntry.USER_ACTIVE_SET, target=user.get_username(), detail=detail)


def user_password_reset(*, actor, user) -> str:
    """A new random password (to be shown once, then changed by the user at their next sign-in);
    the user's other sessions end with the old one."""
    password = secrets.token_urlsafe(12)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        UserProfile.objects.update_or_create(user=user, defaults={"password_change_due": True})
        audit_record(actor=actor, action=AuditEntry.USER_PASSWORD_RESET, target=user.get_username())
    return password


def password_change_due(user) -> bool:
    """Whether the user must choose their own password before anything else (someone else set it)."""
    try:
        return user.profile.password_change_due  # loaded with the user (identity.auth_backend): no query
    except (UserProfile.DoesNotExist, AttributeError):  # no profile yet; an anonymous visitor has none
        return False


def _own_password_set(*, user, password: str, action: str, detail: str) -> None:
    with transaction.atomic():  # the password, the end of a due change and its entry: together or none
        user.set_password(password)
        user.save(update_fields=["password"])
        UserProfile.objects.filter(user=user).update(password_change_due=False)
        audit_record(actor=user, action=action, target=user.get_username(), detail=detail)


def own_password_change(*, user, password: str) -> None:
    """The user's own new password, chosen after giving the old one (validated by the form); their
    other sessions end (Django's session hash follows the password)."""
    forced = password_change_due(user)
    _own_password_set(user=user, password=password, action=AuditEntry.PASSWORD_CHANGED,
                      detail="at the first sign-in after an admin set it" if forced else "")


def own_password_reset(*, user, password: str) -> None:
    """The user's new password, set from an e-mailed reset link (its token checked by the view)."""
    _own_password_set(user=user, password=password, action=AuditEntry.PASSWORD_RESET_DONE, detail="")


def password_reset_sent(*, user, email: str) -> None:
    """The entry for a reset link e-mailed to `user` (asked for by someone not signed in)."""
    audit_record(actor=None, action=AuditEntry.PASSWORD_RESET_SENT, target=user.get_username(), detail=f"to {email}")


def user_time_zone(user) -> str:
    """The zone the user chose for their pages, or "" for the site's."""
    try:
        return user.profile.time_zone  # loaded with the user (identity.auth_backend): no query
    except UserProfile.DoesNotExist:
        return ""


def user_time_zone_set(*, user, time_zone: str) -> None:
    """The user's own zone ("" for the site's); an unknown zone name is refused."""
    if time_zone and time_zone not in available_timezones():
        raise ValidationError({"time_zone": f"unknown time zone {time_zone!r}"})
    UserProfile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})


def api_token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _token_text(token: ApiToken) -> str:
    return f"{token.name} ({token.prefix}…) of {token.user.get_username()}"


def api_token_create(*, user, name: str, actor=None) -> tuple[ApiToken, str]:
    """A new API token for `user`; returns it and its key, which is shown once and kept only as
    a digest."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "a token needs a name (what uses it)"})
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:8], digest=api_token_digest(key))
        audit_record(actor=actor, action=AuditEntry.API_TOKEN_CREATED, target=_token_text(token))
    return token, key


def api_token_revoke(*, token: ApiToken, actor=None) -> None:
    """The token stops authenticating at once; its row stays for the record."""
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(revoked_at=timezone.now()):
            audit_record(actor=actor, action=AuditEntry.API_TOKEN_REVOKED, target=_token_text(token))
