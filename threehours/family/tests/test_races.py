"""Two invited people accept at the same moment on PostgreSQL (issue #14 §1): a child keeps at
most two guardians because acceptance locks the child's row before counting. The twin without
the lock shows the race happening, so the first test proves something."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from threehours.core import db as core_db

from .. import errors, services
from ..models import Guardianship
from ..services import guardians as guardian_services
from .factories import child_of, guardian

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _two_accept_together(invitees, invitations) -> list[str]:
    results = [""] * 2

    def run(i: int) -> None:
        try:
            services.guardian_invitation_accept(
                user=invitees[i], invitation=invitations[i], consent=True
            )
            results[i] = "accepted"
        except errors.FamilyError as exc:
            results[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _family():
    mother = guardian("13900000001", name="王妈妈")
    child = child_of(mother)
    invitees = [guardian("13900000002", name="王爸爸"), guardian("13900000003", name="王阿姨")]
    invitations = [
        services.guardian_invite(guardian=mother, child=child, phone=person.phone)
        for person in invitees
    ]
    return child, invitees, invitations


def test_two_acceptances_at_once_leave_two_guardians(monkeypatch):
    child, invitees, invitations = _family()
    real_lock = core_db.lock_one

    def slow_lock(model, **lookup):
        row = real_lock(model, **lookup)
        if model.__name__ == "User":
            time.sleep(0.3)  # hold the child's row while the other one arrives
        return row

    monkeypatch.setattr(guardian_services, "lock_one", slow_lock)
    results = _two_accept_together(invitees, invitations)
    assert sorted(results) == ["accepted", "guardians_full"]
    assert Guardianship.objects.filter(child=child).count() == 2


def test_control_without_the_lock_the_race_makes_three_guardians(monkeypatch):
    child, invitees, invitations = _family()
    both_read = threading.Barrier(2)
    real_lock = core_db.lock_one

    def no_lock(model, **lookup):
        if model.__name__ != "User":
            return real_lock(model, **lookup)
        row = model._default_manager.get(**lookup)
        both_read.wait(timeout=10)  # both count the guardians before either writes
        return row

    both_counted = threading.Barrier(2)
    real_create = Guardianship.objects.create

    def create_after_both_counted(**fields):
        both_counted.wait(timeout=10)  # each has counted one guardian: neither sees the other
        return real_create(**fields)

    monkeypatch.setattr(guardian_services, "lock_one", no_lock)
    monkeypatch.setattr(Guardianship.objects, "create", create_after_both_counted)
    results = _two_accept_together(invitees, invitations)
    assert results == ["accepted", "accepted"]
    assert Guardianship.objects.filter(child=child).count() == 3
