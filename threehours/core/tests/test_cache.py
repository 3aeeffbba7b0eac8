"""The Redis cache backend (threehours.core.cache) against the real Redis beside the tests."""

import pytest

from threehours.core.cache import RedisCache

REDIS = "redis://127.0.0.1:6379/14"


@pytest.fixture
def cache():
    backend = RedisCache(REDIS, {"KEY_PREFIX": "threehours-test-cache"})
    yield backend
    backend.clear()


def test_it_stores_reads_counts_and_forgets(cache):
    cache.set("k", {"a": [1, "二"]}, 60)
    assert cache.get("k") == {"a": [1, "二"]}
    assert cache.add("k", "other") is False
    cache.set("n", 1)
    assert cache.incr("n", 4) == 5
    cache.delete("k")
    assert cache.get("k", "gone") == "gone"
    cache.set("short", 1, 0)  # a timeout of 0 expires at once
    assert cache.get("short") is None


def test_one_redis_client_serves_every_command(cache):
    cache.get("k")
    first = cache._cache.get_client(write=True)
    cache.set("k", 1)
    assert cache._cache.get_client() is first
    assert cache._cache.get_client(write=True) is first
