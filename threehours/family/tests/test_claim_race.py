"""Two people claim one record at the same moment (PostgreSQL, real concurrency): exactly one
takes it over; the twin without the row lock shows both getting it, or the test proves
nothing."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from threehours.accounts.models import User
from threehours.core.audit import AuditEntry
from threehours.core.errors import DomainError

from .. import services
from ..services import claim
from .factories import guardian, id_number_born, years_ago

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _record(round_: int = 0) -> tuple[str, list[User]]:
    """A record of someone who turned 18 today, and two empty phone accounts."""
    number = id_number_born(years_ago(18), serial=round_)
    with time_machine.travel(timezone.now() - dt.timedelta(days=30), tick=False):
        parent = guardian(f"1390000{round_:04d}")
        services.child_add(guardian=parent, name="王大宝", id_number=number, consent=True)
    now = timezone.now()
    people = [
        User.objects.create(phone=f"1370{round_:03d}{i:04d}", phone_bound_at=now) for i in (1, 2)
    ]
    return number, people


def _race(number: str, people: list[User]) -> list[str]:
    start = threading.Barrier(len(people))

    def attempt(person: User) -> str:
        try:
            connection.ensure_connection()
            start.wait(timeout=30)
            try:
                return "claimed" if claim.record_claim(user=person, id_number=number) else ""
            except DomainError as exc:
                return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(len(people)) as pool:
        return sorted(pool.map(attempt, people))


def test_one_record_is_taken_over_once():
    number, people = _record()
    assert _race(number, people) == ["claim_not_found", "claimed"]
    assert AuditEntry.objects.filter(verb="family.record_claimed").count() == 1
    assert User.objects.filter(pk__in=[p.pk for p in people]).count() == 1


def test_twin_without_the_row_lock_hands_one_record_to_two_people(monkeypatch):
    """The real record_claim with the lock replaced by a plain read that lets both claims
    through together once both have read the record."""
    raced = []
    for round_ in range(1, 4):
        both_read = threading.Barrier(2)

        def no_lock(model, both_read=both_read, **lookup):
            rows = list(model._default_manager.filter(**lookup).order_by("pk"))
            both_read.wait(timeout=30)
            return rows

        monkeypatch.setattr(claim, "lock_many", no_lock)
        number, people = _record(round_)
        outcome = _race(number, people)
        raced.append(outcome)
        if outcome == ["claimed", "claimed"]:
            break
    assert ["claimed", "claimed"] in raced, raced
