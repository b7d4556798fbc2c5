"""The process's shared Redis client (Valkey under the embedded default)."""

import functools

import redis
from django.conf import settings


@functools.lru_cache(maxsize=4)
def _redis_for(url: str, timeout: float) -> redis.Redis:
    # A frozen or half-open server raises redis.TimeoutError after `timeout`, never hangs a request.
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def redis_text(value: bytes | str | int) -> str:
    """A Redis reply as text: the client is made without decode_responses, so replies are bytes."""
    return value.decode() if isinstance(value, bytes) else str(value)


def redis_client() -> redis.Redis:
    """A shared client for settings.REDIS_URL (redis://, rediss:// or unix://), with the connect
    and read timeouts of FACEAPP_REDIS_TIMEOUT (a blocking read must wait less than that)."""
    return _redis_for(settings.REDIS_URL, settings.FACEAPP_REDIS_TIMEOUT)
