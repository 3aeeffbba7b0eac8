import pytest
from pytest_django.plugin import blocking_manager_key

from threehours.hours.tests import ledger_guard
from threehours.orgs.tests.factories import approved_org

_GUARD_DROPPED = pytest.StashKey[str]()


@pytest.fixture(autouse=True)
def _lists_loaded(request):
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("regions")
        request.getfixturevalue("attributes")


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)


@pytest.fixture(autouse=True)
def _ledger_flushable(request):
    """Transactional tests here leave ledger entries; the flush that empties the database
    after them must get past the ledger's delete trigger on SQLite (hours/tests/ledger_guard).
    Dropped here, before the flush; put back by the teardown hook below, after it."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) and "live_server" not in (
        request.fixturenames
    ):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    request.node.stash[_GUARD_DROPPED] = ledger_guard.ledger_delete_guard_drop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if database := item.stash.get(_GUARD_DROPPED, ""):
            with item.config.stash[blocking_manager_key].unblock():
                ledger_guard.ledger_delete_guard_restore(database)
