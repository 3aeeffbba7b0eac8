"""Redemption under real concurrency on PostgreSQL (issue #15 §5): many clients, each with its
own database connection, race for the same codes. As in signups' race tests, at most
CONNECTIONS clients hold a connection at once; the others wait for a slot, as behind a pool."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F

from threehours.rewards import errors, services
from threehours.rewards.models import Incentive, IncentiveCode, Redemption
from threehours.signups.tests.factories import volunteers

from .factories import active_incentive

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 60


def _race(clients: int, attempt) -> list[str]:
    slots = threading.BoundedSemaphore(CONNECTIONS)
    first_wave = min(clients, CONNECTIONS)
    start = threading.Barrier(first_wave)
    results: list[str] = [""] * clients

    def client(i: int) -> None:
        with slots:
            try:
                connection.ensure_connection()
                if i < first_wave:
                    start.wait(timeout=30)
                results[i] = attempt(i)
            finally:
                connection.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return results


def _redeem(incentive, people):
    def attempt(i: int) -> str:
        try:
            services.reward_redeem(incentive=incentive, volunteer=people[i])
        except errors.RewardError as exc:
            return exc.code
        return "redeemed"

    return attempt


@pytest.mark.parametrize("round_", range(5))
def test_five_hundred_volunteers_race_for_a_hundred_codes(operator, round_):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"), codes=100)
    people = volunteers(500, start=round_ * 1000)
    results = _race(500, _redeem(incentive, people))
    assert Counter(results) == {"redeemed": 100, "out_of_stock": 400}
    incentive.refresh_from_db()
    assert incentive.stock_left == 0
    redemptions = Redemption.objects.filter(incentive=incentive)
    assert redemptions.count() == 100
    assert redemptions.values("code").distinct().count() == 100, "every code used once"
    assert IncentiveCode.objects.filter(incentive=incentive, used_at__isnull=True).count() == 0


def test_the_same_volunteer_redeeming_twenty_times_at_once_gets_one_code(operator):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"), codes=50)
    [person] = volunteers(1, start=9500)
    results = _race(20, _redeem(incentive, [person] * 20))
    assert Counter(results) == {"redeemed": 1, "limit_reached": 19}
    incentive.refresh_from_db()
    assert incentive.stock_left == 49
    assert Redemption.objects.filter(volunteer=person).count() == 1
    assert IncentiveCode.objects.filter(incentive=incentive, used_at__isnull=False).count() == 1


def test_twin_a_read_then_write_stock_oversells(operator, monkeypatch):
    """The twin: the real reward_redeem with only its stock-taking step replaced by a
    read-then-write. Under the same load it must hand out more than the stock (the claim of a
    code then fails or the stock counter goes wrong), or the race test above proves nothing."""

    def read_then_write(incentive_id: int) -> bool:
        current = Incentive.objects.get(pk=incentive_id)
        if current.stock_left <= 0:
            return False
        Incentive.objects.filter(pk=incentive_id).update(stock_left=current.stock_left - 1)
        return True

    monkeypatch.setattr(services, "_stock_take", read_then_write)
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"), codes=100)
    people = volunteers(500, start=8000)
    results = _race(500, _redeem(incentive, people))
    incentive.refresh_from_db()
    redeemed = results.count("redeemed")
    # Lost updates: more places were "taken" than the counter shows.
    assert redeemed + incentive.stock_left != 100 or redeemed > 100, Counter(results)


def test_twin_without_the_unique_key_one_volunteer_gets_several_codes(operator, monkeypatch):
    """The twin of the same-volunteer race: with the limit period made unique per attempt (as
    if the constraint were not there), the exists() check alone lets several codes through."""
    counter = iter(range(1000))
    lock = threading.Lock()

    def period_key(limit, day):
        with lock:
            return f"t{next(counter)}"

    monkeypatch.setattr(services, "period_key", period_key)
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"), codes=50)
    [person] = volunteers(1, start=9600)
    results = _race(20, _redeem(incentive, [person] * 20))
    assert results.count("redeemed") > 1
    assert Incentive.objects.filter(pk=incentive.pk, stock_left__lt=F("stock") - 1).exists()
