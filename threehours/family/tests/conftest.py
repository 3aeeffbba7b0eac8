import pytest

from threehours.hours.tests.ledger_guard import (  # noqa: F401
    _ledger_flushable,
    pytest_runtest_teardown,
)
from threehours.orgs.tests.factories import approved_org


@pytest.fixture
def org(operator, regions, attributes):
    """An approved organisation (activities need the region and attribute lists)."""
    return approved_org(operator=operator)


@pytest.fixture
def activity(org):
    from threehours.signups.tests.factories import published_activity

    return published_activity(org)
