"""Nearest first as a k-nearest-neighbour index scan (issue #17 "Speed and scale"): the index
orders by distance in degrees, the page by metres; far north (a degree of longitude is short)
the two orders differ, and the pages must still be the exact ones, on both databases."""

import math
from decimal import Decimal

import pytest

from threehours.activities import selectors, services
from threehours.activities.models import Activity
from threehours.core.timeutil import local_today
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = pytest.mark.django_db

HERE = (45.75, 126.63)  # Harbin: cos(lat) ≈ 0.70


def _metres_sq(lat: float, lng: float) -> float:
    k_lng = 111_195.0 * math.cos(math.radians(HERE[0]))
    return ((lat - HERE[0]) * 111_195.0) ** 2 + ((lng - HERE[1]) * k_lng) ** 2


@pytest.fixture
def places(operator):
    """Every 300 m northwards (0.0027° each), and east at 0.0115° (893 m): in degrees the
    fourth place north (0.0108°) is nearer than the east one, in metres it is not."""
    org = approved_org(operator=operator)
    spots = [(HERE[0] + 0.0027 * i, HERE[1]) for i in range(1, 9)]
    spots += [(HERE[0], HERE[1] + 0.0115), (HERE[0] - 0.0115, HERE[1] + 0.0115)]
    spots += [(HERE[0] + 0.2, HERE[1])]  # 22 km: outside the 10 km reach
    made = {}
    for lat, lng in spots:
        activity = services.activity_create(
            org=org, user=org.applicant, data=activity_data(lat=31.19, lng=121.44)
        )
        services.activity_publish(activity=activity, user=org.applicant)
        Activity.objects.filter(pk=activity.pk).update(
            lat=Decimal(f"{lat:.6f}"), lng=Decimal(f"{lng:.6f}")
        )
        made[activity.pk] = (round(lat, 6), round(lng, 6))
    return made


def _pages(limit: int) -> list[int]:
    ids, cursor = [], None
    while True:
        page = selectors.activity_search(
            today=local_today(),
            lat=Decimal(str(HERE[0])),
            lng=Decimal(str(HERE[1])),
            radius_km=10,
            sort="nearest",
            limit=limit,
            cursor=cursor,
        )
        ids += [a.pk for a in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 100])
def test_nearest_pages_are_exact_where_degrees_and_metres_disagree(places, limit):
    expected = sorted(
        (pk for pk, spot in places.items() if _metres_sq(*spot) <= 10_000**2),
        key=lambda pk: (round(_metres_sq(*places[pk])), pk),
    )
    assert len(expected) == 10
    east = next(pk for pk, (lat, _lng) in places.items() if lat == HERE[0])
    assert expected.index(east) == 2  # after 300 m and 600 m north, before 900 m
    assert _pages(limit) == expected
