"""One Redis client per process for what the cache API cannot do (hashes), or None without
REDIS_URL (the embedded set-up)."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from functools import cache

from django.conf import settings
from django.db import connections
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@cache
def redis_client():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
    )


class HashBuffer:
    """Fields for the Redis hash `key`, sent at most `delay` seconds after they are set, all
    waiting ones in one HSET, by a daemon thread of the process (started at the first `set`,
    again after a fork). For writes a request should not wait for, where a second's delay does
    not matter: a rush of API requests then pays a dict assignment instead of a round trip each
    (bench/README.md, issue #6).

    When Redis refuses, `fallback(fields)` gets them, in the thread, and the thread's database
    connections are closed after it. What waits when the process ends is sent by an exit hook;
    a process killed outright loses at most `delay` seconds of them."""

    def __init__(self, key: str, *, delay: float = 1.0, fallback=None):
        self.key, self.delay, self.fallback = key, delay, fallback
        self._lock = threading.Lock()
        self._pending: dict[str, str] = {}
        self._wake = threading.Event()
        self._started = False  # this process's thread
        atexit.register(self.flush)
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        # The parent's thread is not in the child, and may have held the lock at the fork.
        self._lock, self._pending, self._started = threading.Lock(), {}, False

    def set(self, field: str, value: str) -> None:
        with self._lock:
            if not self._started:  # first use, or a child forked after it
                self._started, self._wake = True, threading.Event()
                threading.Thread(target=self._run, name=f"redis-{self.key}", daemon=True).start()
            self._pending[field] = value
        self._wake.set()

    def flush(self) -> int:
        """Send what waits now; returns how many fields were sent (or given to `fallback`)."""
        with self._lock:
            fields, self._pending = self._pending, {}
        if not fields:
            return 0
        client = redis_client()
        try:
            if client is None:
                raise RedisError("REDIS_URL is empty")
            client.hset(self.key, mapping=fields)
        except RedisError:
            log.warning("Redis refused %d fields of %s", len(fields), self.key, exc_info=True)
            if self.fallback is not None:
                self.fallback(fields)
        return len(fields)

    def _run(self) -> None:
        wake = self._wake
        while True:
            wake.wait()
            time.sleep(self.delay)  # gathers what the next requests set
            wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("Flushing %s failed", self.key)
            finally:
                connections.close_all()  # this thread's own, if the fallback opened one
