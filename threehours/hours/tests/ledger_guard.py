"""Test-run helper: let the test runner empty the ledger table after a transactional test on
SQLite, then put the database's guard back.

Django's flush after a transactional test (live server, race tests) runs `DELETE FROM` on every
table. PostgreSQL's flush is a TRUNCATE, which fires no row trigger, but on SQLite the ledger's
BEFORE DELETE trigger (migration hours 0002) refuses it. For that flush only, the trigger is
dropped, and created again right after, so the tests that follow run against the guarded schema.

A test package whose transactional tests write ledger entries takes the fixture and the hook
into its conftest.py: `from threehours.hours.tests.ledger_guard import (_ledger_flushable,
pytest_runtest_teardown)`.
"""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from pytest_django.plugin import blocking_manager_key

_migration = importlib.import_module("threehours.hours.migrations.0002_ledgerentry_immutable")
_DELETE_TRIGGER = "hours_ledgerentry_no_delete"


def ledger_delete_guard_drop() -> str:
    """Before the flush. Returns the name of the test database to put the guard back in
    afterwards ("" when there is nothing to put back)."""
    if connection.vendor != "sqlite":
        return ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {_DELETE_TRIGGER}")
    return str(connection.settings_dict["NAME"])


def ledger_delete_guard_restore(database: str) -> None:
    """After the flush; nothing when the test database is gone already (the session ended)."""
    if str(connection.settings_dict["NAME"]) != database:
        return
    with connection.cursor() as cursor:
        for statement in _migration.SQLITE_CREATE:
            if _DELETE_TRIGGER in statement:
                cursor.execute(statement)


_GUARD_DROPPED = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _ledger_flushable(request):
    """Transactional tests leave ledger entries; the flush that empties the database after
    them must get past the ledger's delete trigger on SQLite. Dropped here, before the flush;
    put back by the teardown hook below, after it."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) and "live_server" not in (
        request.fixturenames
    ):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    request.node.stash[_GUARD_DROPPED] = ledger_delete_guard_drop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if database := item.stash.get(_GUARD_DROPPED, ""):
            with item.config.stash[blocking_manager_key].unblock():
                ledger_delete_guard_restore(database)
