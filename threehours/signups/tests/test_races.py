"""Capacity under real concurrency on PostgreSQL (issue #5): many clients, each with its own
database connection, race for the same places.

PostgreSQL here keeps its default max_connections (100), shared with other sessions, so at most
CONNECTIONS clients hold a connection at the same moment; the other clients wait for a slot,
as they would behind a connection pool."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from threehours.activities.models import Activity
from threehours.signups import errors, services
from threehours.signups.models import Signup

from .factories import published_activity, volunteers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONNECTIONS = 60


def _race(clients: int, attempt) -> list[str]:
    """Run `attempt(i)` for every client from its own thread and connection, all released
    together; returns each client's outcome."""
    slots = threading.BoundedSemaphore(CONNECTIONS)
    first_wave = min(clients, CONNECTIONS)
    start = threading.Barrier(first_wave)
    results: list[str] = [""] * clients

    def client(i: int) -> None:
        with slots:
            try:
                connection.ensure_connection()
                if i < first_wave:  # the first wave starts together; the rest as slots free
                    start.wait(timeout=30)
                results[i] = attempt(i)
            finally:
                connection.close()

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return results


def _register(activity, people):
    def attempt(i: int) -> str:
        try:
            signup = services.signup_create(activity=activity, volunteer=people[i])
        except errors.SignupError as exc:
            return exc.code
        return signup.status

    return attempt


@pytest.mark.parametrize("round_", range(5))
def test_two_hundred_clients_race_for_fifty_places(org, round_):
    activity = published_activity(org, places=50, questions=[])
    people = volunteers(200, start=round_ * 1000)
    results = _race(200, _register(activity, people))
    assert results.count("confirmed") == 50
    assert results.count("activity_full") == 150
    activity.refresh_from_db()
    assert activity.places_taken == 50 == Signup.objects.filter(activity=activity).count()


def test_the_same_volunteer_from_many_clients_registers_once(org):
    activity = published_activity(org, places=50, questions=[])
    [person] = volunteers(1)
    results = _race(40, _register(activity, [person] * 40))
    assert results.count("confirmed") == 1
    assert results.count("already_registered") == 39
    activity.refresh_from_db()
    assert activity.places_taken == 1 == Signup.objects.filter(activity=activity).count()


def test_twin_a_read_then_write_registration_overbooks(org):
    """The twin of the race test: the naive check-then-insert that the conditional UPDATE
    replaces. It must overbook under the same load, or the race test above proves nothing."""
    activity = published_activity(org, places=50, questions=[])
    people = volunteers(200, start=9000)

    def naive(i: int) -> str:
        with transaction.atomic():
            current = Activity.objects.get(pk=activity.pk)
            if current.places_taken >= current.places:
                return "activity_full"
            Signup.objects.create(activity=activity, volunteer=people[i], status="confirmed")
            Activity.objects.filter(pk=activity.pk).update(places_taken=current.places_taken + 1)
        return "confirmed"

    results = _race(200, naive)
    assert results.count("confirmed") > 50
    assert Signup.objects.filter(activity=activity).count() > 50


@pytest.mark.parametrize("round_", range(3))
def test_two_cancellations_at_once_promote_two_different_people(org, round_):
    activity = published_activity(org, places=2, questions=[])
    holders = volunteers(2, start=round_ * 100)
    waiting = volunteers(3, start=round_ * 100 + 50)
    for person in holders:
        services.signup_create(activity=activity, volunteer=person)
    for person in waiting:
        services.signup_create(activity=activity, volunteer=person, join_waitlist=True)

    def cancel(i: int) -> str:
        return services.signup_cancel(activity=activity, volunteer=holders[i]).status

    assert _race(2, cancel) == ["cancelled", "cancelled"]
    statuses = {
        s.volunteer_id: s.status for s in Signup.objects.filter(volunteer__in=waiting).live()
    }
    assert [statuses[p.pk] for p in waiting] == ["confirmed", "confirmed", "waiting"]
    activity.refresh_from_db()
    assert activity.places_taken == 2
