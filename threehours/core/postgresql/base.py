"""Django's PostgreSQL backend, with health checks only for connections that sat idle.

`CONN_HEALTH_CHECKS` makes Django send `SELECT 1` before the first query of every request on a
kept connection: under a check-in burst that is one round trip in five, paid in Python and in
PostgreSQL, to learn what the last request already showed. Here a connection that was used in
the last `FRESH_SECONDS` is trusted without the probe; one idle for longer (the database may
have restarted, a proxy may have cut it) is probed as before and replaced when it fails.

A connection lost within those seconds fails that one request, which Django then notices
(errors_occurred) and replaces the connection for the next: the same as happens without health
checks, in a window of seconds instead of minutes.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

FRESH_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = float("-inf")

    def close_if_health_check_failed(self):
        # Called before every cursor (Django's _cursor()), so `used_at` is the last query.
        now = time.monotonic()
        if self.connection is not None and now - self.used_at < FRESH_SECONDS:
            self.health_check_done = True
        super().close_if_health_check_failed()
        self.used_at = now

    def connect(self):
        super().connect()
        self.used_at = time.monotonic()
