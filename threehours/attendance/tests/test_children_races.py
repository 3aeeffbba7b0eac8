"""Children's check-in and check-out under real concurrency on PostgreSQL (issue #14 §3)."""

from __future__ import annotations

import datetime as dt
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from threehours.attendance import codes, services
from threehours.attendance.models import Attendance, ChildPhoto
from threehours.attendance.services import Proof
from threehours.attendance.services import children as children_services
from threehours.core.errors import DomainError
from threehours.core.timeutil import local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours.models import LedgerEntry
from threehours.hours.services import ledger_verify
from threehours.signups.tests.factories import published_activity

from .family import family_activity, family_signup, photo_upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HERE = {"lat": Decimal("31.188"), "lng": Decimal("121.437"), "coord": "gcj02"}


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


def _at(activity, hh, mm=0):
    return dt.datetime.combine(activity.start_date, dt.time(hh, mm), tzinfo=local_tz())


def _photo_files(activity) -> set[str]:
    root = os.path.join(
        ChildPhoto._meta.get_field("image").storage.location, "children", str(activity.pk)
    )
    return {os.path.join(d, f) for d, _s, files in os.walk(root) for f in files}


@pytest.fixture
def scene(org):
    activity = family_activity(published_activity(org, questions=[], places=50))
    mum = guardian("13900000011")
    kid = child_of(mum, name="王小宝")
    family_signup(activity, mum, [kid])
    proof = Proof(code=codes.day_code(activity.pk, activity.start_date), **HERE)
    services.attendance_check_in(
        activity=activity, volunteer=mum, proof=proof, now=_at(activity, 13)
    )
    return activity, mum, kid, proof


def _checkin_burst(activity, mum, kid, proof, clients=8):
    def attempt(_i: int) -> str:
        try:
            services.children_checkin(
                activity=activity,
                guardian=mum,
                child_ids=[kid.pk],
                photo=photo_upload(),
                proof=proof,
                now=_at(activity, 13, 5),
            )
        except DomainError as exc:
            return exc.code
        return "ok"

    return _race(clients, attempt)


def test_the_same_child_checked_in_at_once_is_checked_in_once(scene):
    activity, mum, kid, proof = scene
    results = _checkin_burst(activity, mum, kid, proof)
    assert results.count("ok") == 1
    assert results.count("already_checked_in") == 7
    assert Attendance.objects.filter(volunteer=kid).count() == 1
    assert ChildPhoto.objects.count() == 1
    # The losers' photos were written before their transaction and removed after it failed.
    assert _photo_files(activity) == {
        os.path.join(ChildPhoto._meta.get_field("image").storage.location, p.image.name)
        for p in ChildPhoto.objects.all()
    }


def test_without_the_registration_lock_the_constraint_still_holds(scene, monkeypatch):
    """The control twin: without the lock every client passes the checks before writing, and
    the database's one-attendance-per-person-and-day constraint is what refuses the others."""
    activity, mum, kid, proof = scene
    monkeypatch.setattr(children_services, "lock_one", lambda model, **kw: model.objects.get(**kw))
    monkeypatch.setattr(children_services, "_not_in_yet", lambda *args: None)
    results = _checkin_burst(activity, mum, kid, proof)
    assert results.count("ok") == 1
    assert Attendance.objects.filter(volunteer=kid).count() == 1
    assert len(_photo_files(activity)) == 1


def test_checking_a_child_out_from_several_clients_credits_once(scene):
    activity, mum, kid, proof = scene
    services.children_checkin(
        activity=activity,
        guardian=mum,
        child_ids=[kid.pk],
        photo=photo_upload(),
        proof=proof,
        now=_at(activity, 13, 1),
    )

    def attempt(_i: int) -> str:
        try:
            services.children_checkout(
                activity=activity,
                guardian=mum,
                child_ids=[kid.pk],
                proof=proof,
                now=_at(activity, 14),
            )
        except DomainError as exc:
            return exc.code
        return "ok"

    results = _race(8, attempt)
    assert results.count("ok") == 1
    assert results.count("already_checked_out") == 7
    assert LedgerEntry.objects.filter(volunteer=kid).count() == 1
    assert ledger_verify() == []
