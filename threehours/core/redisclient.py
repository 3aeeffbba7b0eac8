"""One Redis client per process for what the cache API cannot do (hashes), or None without
REDIS_URL (the embedded set-up)."""

from __future__ import annotations

from functools import cache

from django.conf import settings


@cache
def redis_client():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
    )
