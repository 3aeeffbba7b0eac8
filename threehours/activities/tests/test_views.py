"""The volunteer discovery page: sort and "places left" controls (issue #4)."""

import pytest

from threehours.activities import services
from threehours.activities.models import Activity
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_published(operator):
    org = approved_org(operator=operator)
    rows = []
    for title in ("还有名额的活动", "已经报满的活动"):
        activity = services.activity_create(
            org=org, user=org.applicant, data=activity_data(title=title, places=2)
        )
        rows.append(services.activity_publish(activity=activity, user=org.applicant))
    Activity.objects.filter(pk=rows[1].pk).update(places_taken=2)  # as registrations leave it
    return rows


def test_list_page_offers_sorts_and_filters_by_places_left(client, two_published):
    page = client.get("/activities/").content.decode()
    assert 'name="sort"' in page and 'value="newest"' in page and 'name="has_places"' in page
    assert 'value="nearest"' not in page  # only with a position
    assert "还有名额的活动" in page and "已经报满的活动" in page

    page = client.get("/activities/?has_places=1&sort=newest").content.decode()
    assert "还有名额的活动" in page and "已经报满的活动" not in page
    assert 'value="newest" selected' in page and "checked" in page


def test_list_page_sorts_by_distance_with_a_position(client, two_published):
    page = client.get("/activities/?lat=31.19&lng=121.44&coord=gcj02&sort=nearest")
    assert page.status_code == 200
    assert 'value="nearest" selected' in page.content.decode()
    # Without a position "nearest" quietly becomes "soonest".
    page = client.get("/activities/?sort=nearest").content.decode()
    assert 'value="soonest" selected' in page
