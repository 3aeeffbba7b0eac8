"""Closing an account while it registers (issue #16 §3), on PostgreSQL with one connection
per client: the registration either lands before the closing is seen, and is then cancelled
when the closing takes effect, or it is refused; never a live registration of a closed account."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from threehours.accounts.models import User
from threehours.privacy import services
from threehours.signups import errors
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _close_and_register(activity, person_id: int, *, stale: bool) -> str:
    """One client asks to close the account while another registers it. With `stale` the
    registering request read the account row before the closing committed (the worst case)."""
    read = threading.Event()
    closed = threading.Event()
    start = threading.Barrier(2)

    def closer() -> str:
        try:
            start.wait(timeout=10)
            if stale:
                read.wait(timeout=10)
            services.closure_request(user=User.objects.get(pk=person_id))
            closed.set()
            return "closing"
        finally:
            connection.close()

    def registrar() -> str:
        try:
            start.wait(timeout=10)
            person = User.objects.get(pk=person_id)  # the request's user, as the session loads it
            read.set()
            if stale:
                closed.wait(timeout=10)
            try:
                return signup_services.signup_create(activity=activity, volunteer=person).status
            except errors.SignupError as exc:
                return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(closer), pool.submit(registrar)]
        return futures[1].result()


def _after_effect(activity, person_id: int) -> tuple[int, int]:
    services.closures_due(now=timezone.now() + dt.timedelta(days=8))
    activity.refresh_from_db()
    live = Signup.objects.filter(activity=activity, volunteer_id=person_id).live().count()
    return live, activity.places_taken


@pytest.mark.parametrize("stale", [True, False])
def test_closing_while_registering_leaves_no_live_registration(org, stale):
    activity = published_activity(org, places=5, questions=[])
    outcomes = set()
    for person in volunteers(6, start=500 + (10 if stale else 0)):
        outcome = _close_and_register(activity, person.pk, stale=stale)
        outcomes.add(outcome)
        assert outcome in {"confirmed", "account_closing"}
        assert _after_effect(activity, person.pk) == (0, 0)
        assert User.objects.get(pk=person.pk).is_closed
    if stale:
        assert outcomes == {"confirmed"}  # every registration landed, and was cancelled


def test_twin_without_the_cancellation_a_registration_outlives_the_account(org, monkeypatch):
    """The twin: the closing job no longer cancels registrations (the registration check
    alone, on a row read before the closing committed, does not stop the registration)."""
    monkeypatch.setattr(services, "signups_cancel_for_closure", lambda *, volunteer: 0)
    activity = published_activity(org, places=5, questions=[])
    (person,) = volunteers(1, start=600)
    assert _close_and_register(activity, person.pk, stale=True) == "confirmed"
    assert _after_effect(activity, person.pk) == (1, 1)
