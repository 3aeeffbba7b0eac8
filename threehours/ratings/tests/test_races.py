"""The same volunteer rating the same activity from two requests at once (PostgreSQL): one
rating, one `already_rated`, the counters moved once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from threehours.ratings import services
from threehours.ratings.errors import RatingError
from threehours.ratings.models import Rating

from .factories import after_end, credited_volunteer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(clients: int, attempt) -> list[str]:
    start = threading.Barrier(clients)

    def client(i: int) -> str:
        try:
            start.wait(timeout=30)
            return attempt(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(client, range(clients)))


@pytest.mark.parametrize("round_", range(3))
def test_the_same_volunteer_rating_twice_at_once_gets_one_rating(org, round_):
    activity, person = credited_volunteer(org)

    def attempt(i: int) -> str:
        try:
            services.rating_create(activity=activity, volunteer=person, stars=4, text=str(i))
        except RatingError as exc:
            return exc.code
        return "ok"

    with after_end(activity, 1):
        results = _race(4, attempt)
    assert sorted(results) == ["already_rated"] * 3 + ["ok"]
    assert Rating.objects.filter(activity=activity).count() == 1
    activity.refresh_from_db()
    org.refresh_from_db()
    assert (activity.rating_count, activity.rating_sum) == (1, 4)
    assert (org.rating_count, org.rating_sum) == (1, 4)
