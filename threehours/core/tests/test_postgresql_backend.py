"""core/postgresql: a kept connection is probed (SELECT 1) only after it sat idle, and a dead
idle connection is still replaced before the request's first query."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, connections
from django.db.backends.signals import connection_created

from threehours.core.postgresql import base as backend

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def probes(monkeypatch):
    """Count the health-check probes Django sends (they bypass the query log)."""
    sent: list[int] = []
    real = connection.is_usable

    def counting():
        sent.append(1)
        return real()

    monkeypatch.setattr(connection, "is_usable", counting)
    return sent


def _request_with_one_query() -> int:
    """What a request does to the connection: Django's request_started handler, one query,
    request_finished's handler. Returns the backend's process id."""
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    connection.close_if_unusable_or_obsolete()
    return pid


def test_the_settings_use_our_backend_with_health_checks():
    assert isinstance(connections["default"], backend.DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_connection_used_moments_ago_is_not_probed(probes):
    _request_with_one_query()
    probes.clear()
    for _ in range(3):
        _request_with_one_query()
    assert probes == []


def test_a_connection_idle_for_longer_is_probed_once_per_request(probes):
    _request_with_one_query()
    probes.clear()
    connection.used_at -= backend.FRESH_SECONDS + 1
    _request_with_one_query()
    assert probes == [1]


def test_a_dead_idle_connection_is_replaced_before_the_first_query(probes):
    first = _request_with_one_query()
    with psycopg.connect(_dsn(), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])
    connection.used_at -= backend.FRESH_SECONDS + 1
    opened: list[int] = []

    def count(**kwargs):
        opened.append(1)

    connection_created.connect(count, dispatch_uid="test-backend-reconnect")
    try:
        second = _request_with_one_query()  # no error: the probe failed, Django reconnected
    finally:
        connection_created.disconnect(dispatch_uid="test-backend-reconnect")
    assert second != first
    assert probes == [1] and opened == [1]


def _dsn() -> str:
    params = connection.get_connection_params()
    return psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in {"dbname", "user", "host", "port", "password"}}
    )


def test_hot_statements_are_prepared_and_the_orms_are_not(volunteer):
    from threehours.accounts.models import ApiToken
    from threehours.accounts.services import token_authenticate, token_issue

    raw = token_issue(user=volunteer, name="phone")
    for _ in range(2):
        assert token_authenticate(raw)[0] == volunteer
    assert ApiToken.objects.filter(user=volunteer).count() == 1  # an ORM query
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert [s for s in prepared if "key_hash" in s], "the token read is a prepared statement"
    assert not [s for s in prepared if "COUNT(" in s.upper()], "ORM queries are not prepared"


def test_the_query_log_shows_a_prepared_statement_with_its_values(volunteer):
    from django.test.utils import CaptureQueriesContext

    from threehours.accounts.services import token_authenticate, token_issue

    raw = token_issue(user=volunteer, name="phone")
    with CaptureQueriesContext(connection) as queries:
        token_authenticate(raw)
    assert "key_hash" in queries[0]["sql"] and "%s" not in queries[0]["sql"]
