"""Issue #12's concurrency-sensitive paths on PostgreSQL with real concurrent clients: wrong
codes counted per activity-day across accounts (the rotation budget), and a pending correction
approved by two staff members at once (credited once). Each beside a twin with the lock taken
away, showing the race the lock prevents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError

from threehours.accounts.models import User
from threehours.attendance import errors, services
from threehours.attendance.models import Correction, DayCode
from threehours.attendance.services import Proof, corrections, daycode, proof
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry
from threehours.hours.services import hours_totals, ledger_verify
from threehours.orgs.models import Membership
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

from .test_races import HERE, _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at(activity, hh, mm=0, day=0):
    return dt.datetime.combine(
        activity.start_date + dt.timedelta(days=day), dt.time(hh, mm), tzinfo=local_tz()
    )


def _wrong_code_burst(org, start: int):
    """8 accounts send 5 wrong codes each, all at once (40 clients)."""
    activity = published_activity(org, questions=[], places=50)
    people = volunteers(8, start=start)
    for person in people:
        signup_services.signup_create(activity=activity, volunteer=person)

    def attempt(i: int) -> str:
        try:
            services.attendance_check_in(
                activity=activity,
                volunteer=people[i % 8],
                proof=Proof(code="x", **HERE),
                now=_at(activity, 13),
            )
        except errors.AttendanceError as exc:
            return exc.code
        return "ok"

    results = _race(40, attempt)
    return activity, results


def test_wrong_codes_from_forty_clients_are_all_counted(org, settings):
    settings.CHECKIN_CODE_ROTATE_AFTER = 30
    activity, results = _wrong_code_burst(org, start=900)
    assert results.count("bad_code") == 40
    row = DayCode.objects.get(activity=activity)
    assert (row.wrong_total, row.generation, row.wrong) == (40, 1, 10)


def test_without_the_day_code_lock_wrong_codes_are_lost(org, settings, monkeypatch):
    """The twin: read-modify-write without the row lock loses counts under the same burst."""
    settings.CHECKIN_CODE_ROTATE_AFTER = 1000

    def unlocked(model, **lookup):
        return model._default_manager.get(**lookup)

    monkeypatch.setattr(daycode, "lock_one", unlocked)
    monkeypatch.setattr(proof, "lock_one", unlocked)
    lost = False
    for round_ in range(3):
        activity, results = _wrong_code_burst(org, start=1000 + round_ * 10)
        if DayCode.objects.get(activity=activity).wrong_total < results.count("bad_code"):
            lost = True
            break
    assert lost


def _pending_correction(org, start: int):
    activity = published_activity(org, questions=[], places=50)
    [person] = volunteers(1, start=start)
    signup = signup_services.signup_create(activity=activity, volunteer=person)
    late = _at(activity, 12, day=10)
    with time_machine.travel(late, tick=False):
        correction = services.attendance_correct(
            signup=signup,
            day=activity.start_date,
            checkin_at=dt.time(13),
            checkout_at=dt.time(14),
            staff=org.applicant,
            reason="手机没电",
            today=late.date(),
        )
    assert correction.status == Correction.Status.PENDING
    return activity, person, correction


def _staff(org, count: int, start: int) -> list[User]:
    people = []
    for i in range(count):
        user = User.objects.create_user(
            email=f"s{start + i}@ngo.example.cn", password="Pw-12345678"
        )
        Membership.objects.create(organisation=org, user=user, role=Membership.Role.COORDINATOR)
        people.append(user)
    return people


def _approve_burst(activity, correction, approvers) -> list[str]:
    def attempt(i: int) -> str:
        try:
            with time_machine.travel(_at(activity, 12, day=10), tick=False):
                services.correction_approve(correction=correction, staff=approvers[i])
        except errors.AttendanceError as exc:
            return exc.code
        except IntegrityError:
            return "integrity_error"  # only the database's constraint stopped a second write
        return "ok"

    return _race(len(approvers), attempt)


def test_two_staff_approving_at_once_credit_once(org):
    activity, person, correction = _pending_correction(org, start=1100)
    results = _approve_burst(activity, correction, _staff(org, 6, start=1100))
    assert sorted(results) == ["correction_closed"] * 5 + ["ok"]
    assert LedgerEntry.objects.filter(volunteer=person).count() == 1
    assert hours_totals(volunteer=person).service_hours == Decimal("1.0")
    assert ledger_verify() == []


def test_without_the_correction_lock_an_approval_race_credits_twice(org, monkeypatch):
    """The twin: approvals that do not lock the correction both apply it."""

    def unlocked(correction):
        fresh = Correction.objects.select_related("signup__volunteer", "activity").get(
            pk=correction.pk
        )
        if fresh.status != Correction.Status.PENDING:
            raise errors.CorrectionClosed()
        return fresh

    monkeypatch.setattr(corrections, "_correction_lock", unlocked)
    raced = False
    for round_ in range(3):
        activity, person, correction = _pending_correction(org, start=1200 + round_)
        results = _approve_burst(activity, correction, _staff(org, 6, start=1200 + round_ * 10))
        # more than one approval got through: a second credit, or a second attendance that
        # only the unique constraint refused
        if results.count("ok") + results.count("integrity_error") > 1:
            raced = True
            break
    assert raced
