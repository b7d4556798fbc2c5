"""Accounts for the password tests: a user of a role with a known password, and sign-in's counts
(Redis outlives the test database) cleared, with small limits."""

import redis
from django.contrib.auth.models import Group, User

from identity.services.ratelimit import KEY_PREFIX

PASSWORD, NEW_PASSWORD = "right-horse-battery", "staple-lantern-orbit-42"
PER_ACCOUNT, PER_ADDRESS = 3, 5


def sign_in_counts_clear(settings) -> None:
    """Small limits, and no count left by an earlier test (sign-in and password pages share them)."""
    settings.FACEAPP_LOGIN_FAILURES_PER_ACCOUNT = PER_ACCOUNT
    settings.FACEAPP_LOGIN_FAILURES_PER_ADDRESS = PER_ADDRESS
    settings.FACEAPP_LOGIN_LOCKOUT_MINUTES = 15
    client = redis.Redis.from_url(settings.REDIS_URL)
    stale = client.keys(KEY_PREFIX + "login:*")
    if stale:
        client.delete(*stale)


def user_with_password(username: str, *, role: str = "viewer", email: str = "") -> User:
    user = User.objects.create_user(username=username, email=email, password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user
