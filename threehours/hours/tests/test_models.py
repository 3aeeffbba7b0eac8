"""The ledger is append-only (docs/product.md §4, issue #6 §4): the model refuses to change or
delete an entry, and below it the database refuses too (triggers of migration hours 0002), on
SQLite and on PostgreSQL. Run this file on both engines."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from threehours.attendance import codes
from threehours.attendance import services as attendance_services
from threehours.attendance.services import Proof
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry, LedgerImmutable
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db

HERE = {"lat": Decimal("31.188"), "lng": Decimal("121.437"), "coord": "gcj02"}


@pytest.fixture
def entry(org, volunteer):
    """A real credit: checked in at 13:00 and out at 14:00 through the services."""
    activity = published_activity(org, questions=[], places=5)
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    proof = Proof(code=codes.day_code(activity.pk, activity.start_date), **HERE)
    for hh, service in (
        (13, attendance_services.attendance_check_in),
        (14, attendance_services.attendance_check_out),
    ):
        service(
            activity=activity,
            volunteer=volunteer,
            proof=proof,
            now=dt.datetime.combine(activity.start_date, dt.time(hh), tzinfo=local_tz()),
        )
    return LedgerEntry.objects.get(volunteer=volunteer)


def _unchanged(entry):
    row = LedgerEntry.objects.values("hours", "reason", "entry_type").get(pk=entry.pk)
    assert row == {"hours": Decimal("1.0"), "reason": "", "entry_type": "credit"}


def _refused_by_database(statement):
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        statement()
    assert "immutable" in str(caught.value)


# -- the model ------------------------------------------------------------------------------


def test_saving_an_existing_entry_again_is_refused(entry):
    entry.hours = Decimal("5.0")
    with pytest.raises(LedgerImmutable):
        entry.save()
    _unchanged(entry)


def test_deleting_an_entry_is_refused(entry):
    with pytest.raises(LedgerImmutable):
        entry.delete()
    _unchanged(entry)


def test_queryset_update_and_delete_are_refused(entry):
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).update(hours=Decimal("5.0"))
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.hours = Decimal("5.0")
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.bulk_update([entry], ["hours"])
    _unchanged(entry)


# -- the database, below the model ----------------------------------------------------------


def test_the_database_refuses_an_orm_update(entry):
    # _base_manager is a plain manager: the model's guard is not in the way.
    _refused_by_database(
        lambda: LedgerEntry._base_manager.filter(pk=entry.pk).update(
            hours=Decimal("5.0"), reason="tampered"
        )
    )
    _unchanged(entry)


def test_the_database_refuses_an_orm_delete(entry):
    _refused_by_database(lambda: LedgerEntry._base_manager.filter(pk=entry.pk).delete())
    _unchanged(entry)


def test_the_database_refuses_raw_sql(entry):
    def run(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])

    _refused_by_database(lambda: run("UPDATE hours_ledgerentry SET hours = 5 WHERE id = %s"))
    _refused_by_database(lambda: run("DELETE FROM hours_ledgerentry WHERE id = %s"))
    _unchanged(entry)


def test_appending_still_works_under_the_guard(entry):
    # The triggers are BEFORE UPDATE/DELETE only: a correction is a new row.
    LedgerEntry.objects.create(
        volunteer_id=entry.volunteer_id,
        activity_id=entry.activity_id,
        organisation_id=entry.organisation_id,
        day=entry.day,
        hours=Decimal("-0.5"),
        kind=entry.kind,
        entry_type=LedgerEntry.EntryType.CORRECTION,
        attendance_id=entry.attendance_id,
        reason="left early",
    )
    assert LedgerEntry.objects.filter(volunteer_id=entry.volunteer_id).count() == 2


# -- what holds entries: deleting it is refused, entries are never cascaded away -------------


def test_deleting_a_volunteer_with_entries_is_refused(entry):
    with pytest.raises(ProtectedError) as caught:
        entry.volunteer.delete()
    assert entry in caught.value.protected_objects
    _unchanged(entry)


def test_deleting_an_activity_with_entries_is_refused(entry):
    with pytest.raises(ProtectedError) as caught:
        entry.activity.delete()
    assert entry in caught.value.protected_objects
    _unchanged(entry)
