import pytest

# The frozen-form browser test writes ledger entries (a check-in and out); the flush after it
# must get past the ledger's delete trigger on SQLite.
from threehours.hours.tests.ledger_guard import (  # noqa: F401
    _ledger_flushable,
    pytest_runtest_teardown,
)


@pytest.fixture(autouse=True)
def _lists_loaded(request):
    """Console tests create organisations and activities: they need the region table and the
    attribute lists."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("regions")
        request.getfixturevalue("attributes")
