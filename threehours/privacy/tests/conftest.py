import pytest

from threehours.hours.tests.ledger_guard import (  # noqa: F401
    _ledger_flushable,
    pytest_runtest_teardown,
)
from threehours.orgs.tests.factories import approved_org


@pytest.fixture(autouse=True)
def _lists_loaded(request):
    """Privacy tests create activities: they need regions and attribute lists."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        request.getfixturevalue("regions")
        request.getfixturevalue("attributes")


@pytest.fixture
def org(operator):
    return approved_org(operator=operator)
