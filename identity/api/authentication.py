"""`Authorization: Token <key>`, looked up by the key's SHA-256 digest (identity.models.ApiToken):
keys are 256-bit random, so a fast hash is enough, and an equality lookup on the digest reveals
nothing about the key."""

import datetime as dt

from django.utils import timezone
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from identity.models import ApiToken
from identity.services.accounts import api_token_digest

LAST_USED_EVERY = dt.timedelta(minutes=1)  # one write a minute at most per busy token


class ApiTokenAuthentication(TokenAuthentication):
    model = ApiToken

    def authenticate_credentials(self, key):
        token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(key), revoked_at=None).first()
        if token is None or not token.user.is_active:
            raise AuthenticationFailed("Invalid token.")  # revoked, unknown or its user deactivated: the same answer
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
