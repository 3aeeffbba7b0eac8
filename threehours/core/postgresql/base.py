"""Django's PostgreSQL backend, with health checks only for connections that sat idle, and
prepared statements for the hand-built statements of the hottest paths.

`CONN_HEALTH_CHECKS` makes Django send `SELECT 1` before the first query of every request on a
kept connection: under a check-in burst that is one round trip in five, paid in Python and in
PostgreSQL, to learn what the last request already showed. Here a connection that was used in
the last `FRESH_SECONDS` is trusted without the probe; one idle for longer (the database may
have restarted, a proxy may have cut it) is probed as before and replaced when it fails.

A connection lost within those seconds fails that one request, which Django then notices
(errors_occurred) and replaces the connection for the next: the same as happens without health
checks, in a window of seconds instead of minutes.

`prepared_cursor()` is Django's cursor (query log, error translation) around a psycopg cursor
that binds parameters on the server and prepares every statement: PostgreSQL parses and plans
it once per connection instead of on every request. Only core.db's hand-built statements use it
(docs/decisions/0008); the ORM keeps Django's default, client-side binding without prepared
statements, which some ORM queries need. Not for a transaction-pooling PgBouncer older than
1.21, which cannot carry prepared statements across server connections.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base, operations

FRESH_SECONDS = 5.0


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # The query log (DEBUG, CaptureQueriesContext) shows a prepared statement's SQL with
        # its values, like a client-bound one's.
        if isinstance(cursor, base.ServerBindingCursor):
            try:
                return self.compose_sql(sql, params)
            except Exception:  # noqa: BLE001 — a log line must not fail the query
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
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
        # Prepare at the first execution. Only server-binding cursors prepare at all; Django's
        # own cursors bind on the client and never do.
        self.connection.prepare_threshold = 0

    def prepared_cursor(self):
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(base.ServerBindingCursor(self.connection))
