"""API rate limit: FACEAPP_RATE_API_PER_MINUTE requests per user, whether they come with the
user's API token or their session (one person's script and browser share one allowance).

DRF runs throttles after authentication and permissions, so refused requests (401/403) are
not counted; an over-limit one gets 429 with the reason and a Retry-After header.
"""

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from identity.services.ratelimit import api_rate_key, rate_limit_hit


class ApiRateThrottle(BaseThrottle):
    """A fixed one-minute window per user, however the request authenticated."""

    window_seconds = 60

    def allow_request(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return True  # nothing to key on; the permission check has refused it already
        joined = user.date_joined.timestamp() if getattr(user, "date_joined", None) else None
        # Keyed by the user, never the token: a token and a session of one user are one count.
        key = api_rate_key(token_key=None, user_id=user.pk, user_joined=joined)
        limit = settings.FACEAPP_RATE_API_PER_MINUTE
        decision = rate_limit_hit(key=key, limit=limit, window_seconds=self.window_seconds)
        if not decision.allowed:
            # Raised here rather than returning False, so the 429 names the limit.
            raise Throttled(
                wait=decision.retry_after,
                detail=f"Rate limit: at most {limit} API requests per minute for this user (token and session together).",
            )
        return True
