import pytest

from threehours.orgs.tests.factories import approved_org


@pytest.fixture
def org(operator, regions, attributes):
    """An approved organisation (activities need the region and attribute lists)."""
    return approved_org(operator=operator)


@pytest.fixture
def activity(org):
    from threehours.signups.tests.factories import published_activity

    return published_activity(org)
