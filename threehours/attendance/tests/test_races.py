"""Check-out under real concurrency on PostgreSQL: one credit whatever the number of clients."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from threehours.attendance import codes, errors, services
from threehours.attendance.models import Attempt
from threehours.attendance.services import Proof, checkin
from threehours.core.db import Update
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry
from threehours.hours.services import hours_totals, ledger_verify
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

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


def _checkout_burst(activity, person):
    proof = Proof(code=codes.day_code(activity.pk, activity.start_date), **HERE)

    def attempt(_i: int) -> str:
        try:
            services.attendance_check_out(
                activity=activity, volunteer=person, proof=proof, now=_at(activity, 14)
            )
        except errors.AttendanceError as exc:
            return exc.code
        return "ok"

    return _race(10, attempt)


@pytest.mark.parametrize("round_", range(3))
def test_checking_out_from_ten_clients_at_once_credits_once(org, round_):
    """On PostgreSQL each client reads the open attendance unlocked and sends one statement
    (services._in_one_statement); the first updates the row, the others' conditional update
    finds it closed and their locked fallback answers `already_checked_out`."""
    activity = published_activity(org, questions=[])
    [person] = volunteers(1, start=round_ * 10)
    signup_services.signup_create(activity=activity, volunteer=person)
    services.attendance_check_in(
        activity=activity,
        volunteer=person,
        proof=Proof(code=codes.day_code(activity.pk, activity.start_date), **HERE),
        now=_at(activity, 13),
    )
    results = _checkout_burst(activity, person)
    assert results.count("ok") == 1
    assert results.count("already_checked_out") == 9
    assert LedgerEntry.objects.filter(volunteer=person).count() == 1
    assert hours_totals(volunteer=person).service_hours == Decimal("1.0")
    assert ledger_verify() == []
    checkouts = Attempt.objects.filter(volunteer=person, action="checkout")
    assert sorted(checkouts.values_list("result", flat=True)) == ["already_checked_out"] * 9 + [
        "ok"
    ]


def test_checking_in_from_ten_clients_at_once_records_one_attendance(org):
    activity = published_activity(org, questions=[])
    [person] = volunteers(1, start=500)
    signup_services.signup_create(activity=activity, volunteer=person)
    proof = Proof(code=codes.day_code(activity.pk, activity.start_date), **HERE)

    def attempt(_i: int) -> str:
        try:
            services.attendance_check_in(
                activity=activity, volunteer=person, proof=proof, now=_at(activity, 13)
            )
        except errors.AttendanceError as exc:
            return exc.code
        return "ok"

    results = _race(10, attempt)
    assert results.count("ok") == 1 and results.count("already_checked_in") == 9
    assert activity.attendances.count() == 1


def _integrity_errors_without(org, start: int) -> bool:
    """Ten clients check out at once, a few rounds: whether the race got past the guard the
    caller removed (several credits attempted, stopped only by the constraint)."""
    from django.db import IntegrityError

    for round_ in range(5):  # a race is likely on the first round; allow a few
        activity = published_activity(org, questions=[])
        [person] = volunteers(1, start=start + round_)
        signup_services.signup_create(activity=activity, volunteer=person)
        proof = Proof(code=codes.day_code(activity.pk, activity.start_date), **HERE)
        services.attendance_check_in(
            activity=activity, volunteer=person, proof=proof, now=_at(activity, 13)
        )

        def attempt(_i: int, activity=activity, person=person, proof=proof) -> str:
            try:
                services.attendance_check_out(
                    activity=activity, volunteer=person, proof=proof, now=_at(activity, 14)
                )
            except errors.AttendanceError as exc:
                return exc.code
            except IntegrityError:
                return "integrity_error"
            return "ok"

        results = _race(10, attempt)
        assert LedgerEntry.objects.filter(volunteer=person).count() == 1
        assert ledger_verify() == []  # a refused statement moved no summary either
        if results.count("integrity_error") or results.count("ok") > 1:
            return True
    return False


def test_twin_without_the_open_check_several_one_statement_check_outs_credit(org, monkeypatch):
    """The twin for PostgreSQL's one-statement check-out (services._in_one_statement): without
    its `checked_out_at IS NULL` condition, the clients that lost the row's lock update it
    again and try to credit too; only the one-credit-per-attendance constraint stops them (an
    IntegrityError, a server error for the client). With it, they write nothing and the
    locked path answers `already_checked_out`."""

    def update_without_open_check(obj, fields, where):
        return Update(obj, fields, where={k: v for k, v in where.items() if k != "checked_out_at"})

    monkeypatch.setattr(checkin, "Update", update_without_open_check)
    assert _integrity_errors_without(org, 950), (
        "without the condition no race was observed: the race test proves nothing"
    )


def test_twin_without_the_row_lock_two_clients_pass_the_check(org, monkeypatch):
    """The twin of the check-out race on the locked path (SQLite's, staff's, and the fallback
    of the one-statement path): with the attendance row read without its lock, several
    clients see "not checked out yet" and go on to credit; only the one-credit-per-attendance
    constraint (an IntegrityError, a server error for the client) stops the second credit. It
    shows that the row lock is what turns the losers into a clean `already_checked_out`."""
    monkeypatch.setattr(checkin, "_in_one_statement", lambda activity, staff: False)
    locked_get = checkin._CHECKOUT_COLUMNS.get
    monkeypatch.setattr(
        checkin._CHECKOUT_COLUMNS, "get", lambda **lookup: locked_get(**{**lookup, "lock": False})
    )
    assert _integrity_errors_without(org, 900), (
        "without the lock no race was observed: the race test proves nothing"
    )


def _wrong_code_burst(activity, person) -> list[str]:
    right = codes.day_code(activity.pk, activity.start_date)
    proof = Proof(code="0000" if right != "0000" else "1111", **HERE)

    def attempt(_i: int) -> str:
        try:
            services.attendance_check_in(
                activity=activity, volunteer=person, proof=proof, now=_at(activity, 13)
            )
        except errors.AttendanceError as exc:
            return exc.code
        except errors.TooManyWrongCodes as exc:
            return exc.code
        return "ok"

    return _race(10, attempt)


def _wrong_codes_on_record(activity, person) -> int:
    return Attempt.objects.filter(activity=activity, volunteer=person, result="bad_code").count()


def test_ten_wrong_codes_at_once_are_held_to_the_limit_of_five(org):
    activity = published_activity(org, questions=[])
    [person] = volunteers(1, start=700)
    signup_services.signup_create(activity=activity, volunteer=person)
    results = _wrong_code_burst(activity, person)
    assert sorted(results) == ["bad_code"] * 5 + ["too_many_wrong_codes"] * 5
    assert _wrong_codes_on_record(activity, person) == 5


def test_twin_without_the_row_lock_parallel_wrong_codes_pass_the_limit(org, monkeypatch):
    """The twin of the wrong-code race: without the registration's row lock, parallel wrong
    codes each count fewer than five on record, and more than five get to guess."""
    from django.db.models import QuerySet

    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, *a, **k: self)
    raced = False
    for round_ in range(5):  # a race is likely on the first round; allow a few
        activity = published_activity(org, questions=[])
        [person] = volunteers(1, start=800 + round_)
        signup_services.signup_create(activity=activity, volunteer=person)
        results = _wrong_code_burst(activity, person)
        if results.count("bad_code") > 5:
            assert _wrong_codes_on_record(activity, person) > 5
            raced = True
            break
    assert raced, "without the lock no race was observed: the race test proves nothing"
