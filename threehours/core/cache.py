"""Django's Redis cache backend, without a new Redis client per command."""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's builds a `redis.Redis` for every command it sends; building one (its table of
    response callbacks) cost about as much CPU as the GET itself: 6 % of a check-in page
    request, which reads its session from the cache (bench/README.md). A client is a thin,
    thread-safe wrapper of its connection pool, so one per pool is kept and reused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
