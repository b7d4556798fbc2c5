"""Rate limits: a fixed-window counter per key in Redis (camera frames per second, API
requests per minute per token or user, failed sign-ins per account and per address).

A window starts at a key's first hit and lasts `window_seconds`; within it at most `limit`
hits pass. One Lua script counts and sets the expiry, so concurrent web processes share the
count exactly. When Redis is unreachable the limiter lets the hit through (logged): a rate
limit protects the service, it must not be what takes it down.
"""

import hashlib
import ipaddress
import logging
import math
from dataclasses import dataclass

from redis.exceptions import RedisError

from faceapp.redis_client import redis_client

logger = logging.getLogger(__name__)

KEY_PREFIX = "faceapp:rate:"

# KEYS: the counter. ARGV: window in ms. Returns {count, ms left in the window}.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) left = tonumber(ARGV[1]) end
return {count, left}
"""


# KEYS: the counter. Returns {count, ms left in the window}, counting nothing.
_PEEK = """
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}
"""


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int  # hits in the current window, this one included
    retry_after: int  # whole seconds until the window ends (0 when allowed)


def rate_limit_hit(*, key: str, limit: int, window_seconds: float) -> RateDecision:
    """Count one hit on `key`; allowed while the window holds at most `limit` hits.
    A limit of 0 or less means no limit (nothing is counted)."""
    if limit <= 0:
        return RateDecision(allowed=True, count=0, retry_after=0)
    window_ms = max(1, int(window_seconds * 1000))
    try:
        count, left_ms = redis_client().eval(_HIT, 1, KEY_PREFIX + key, window_ms)
    except (RedisError, OSError) as exc:
        logger.warning("rate limiter unreachable, letting %s through: %s", key, exc)
        return RateDecision(allowed=True, count=0, retry_after=0)
    count, left_ms = int(count), int(left_ms)
    if count <= limit:
        return RateDecision(allowed=True, count=count, retry_after=0)
    return RateDecision(allowed=False, count=count, retry_after=max(1, math.ceil(left_ms / 1000)))


def rate_limit_peek(*, key: str, limit: int) -> RateDecision:
    """Whether one more hit on `key` would be allowed now, without counting it (count: the hits
    so far). Unreachable Redis lets it through, as rate_limit_hit does."""
    if limit <= 0:
        return RateDecision(allowed=True, count=0, retry_after=0)
    try:
        count, left_ms = redis_client().eval(_PEEK, 1, KEY_PREFIX + key)
    except (RedisError, OSError) as exc:
        logger.warning("rate limiter unreachable, letting %s through: %s", key, exc)
        return RateDecision(allowed=True, count=0, retry_after=0)
    count, left_ms = int(count), int(left_ms)
    if count < limit:
        return RateDecision(allowed=True, count=count, retry_after=0)
    return RateDecision(allowed=False, count=count, retry_after=max(1, math.ceil(left_ms / 1000)))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def camera_rate_key(*, camera_id: int, camera_token: str) -> str:
    """Per camera. Its token is part of the key (as a digest: Redis never holds the secret),
    so a new camera reusing a deleted one's id starts with its own count."""
    return f"camera:{camera_id}:{_digest(camera_token)}"


def api_rate_key(*, token_key: str | None, user_id: int | None, user_joined: float | None = None) -> str:
    """Per API token when the request carries one (as a digest), else per session user; the
    user's join time keeps a new user who reuses a deleted one's id apart from its count."""
    if token_key:
        return f"api:token:{_digest(token_key)}"
    return f"api:user:{user_id}:{user_joined or 0:.6f}"


def login_account_key(*, username: str) -> str:
    """Per account name, case-folded (as a digest: Redis holds no names)."""
    return f"login:account:{_digest(username.strip().casefold())}"


def login_address_key(*, address: str) -> str:
    """Per client address; an IPv6 client's whole /64 counts as one address (one host holds it all)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"login:address:{_digest(address)}"
    network = ipaddress.ip_network(f"{ip}/64", strict=False) if ip.version == 6 else ip
    return f"login:address:{_digest(str(network))}"
