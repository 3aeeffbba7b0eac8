"""Lock, then check (docs/style.md §4): the locking helpers refuse to run outside a transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from threehours.accounts.models import User
from threehours.core.db import LockOutsideTransaction, lock_key, lock_many, lock_one

# Not wrapped in the usual per-test transaction: "outside atomic" has to be really outside.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def users(db):
    return [User.objects.create(phone=f"1390000010{i}") for i in range(3)]


def test_lock_one_refuses_outside_a_transaction(users):
    with pytest.raises(LockOutsideTransaction):
        lock_one(User, pk=users[0].pk)


def test_lock_many_refuses_outside_a_transaction(users):
    with pytest.raises(LockOutsideTransaction):
        lock_many(User, pk__in=[u.pk for u in users])


def test_lock_key_refuses_outside_a_transaction(db):
    with pytest.raises(LockOutsideTransaction):
        lock_key("sms:13900000001")


def test_lock_one_returns_the_row_inside_a_transaction(users):
    with transaction.atomic():
        assert lock_one(User, pk=users[1].pk) == users[1]
        with pytest.raises(User.DoesNotExist):
            lock_one(User, pk=-1)


def test_lock_many_returns_the_rows_in_primary_key_order(users):
    with transaction.atomic():
        locked = lock_many(User, pk__in=[users[2].pk, users[0].pk])
        lock_key("sms:13900000001")

    assert locked == [users[0], users[2]]


def test_columns_load_a_partial_row_in_any_order_with_the_engines_types(
    operator, regions, attributes
):
    from django.db import connection

    from threehours.activities.models import Activity
    from threehours.core.db import Columns
    from threehours.orgs.tests.factories import approved_org
    from threehours.signups.tests.factories import published_activity

    activity = published_activity(approved_org(operator=operator))
    # Deliberately not in the model's field order: each value must land in its own field.
    columns = Columns(Activity, "a", ("checkout_time", "lat", "end_date", "title", "created_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns.sql(connection)} FROM {columns.table(connection)} "  # noqa: S608
            "WHERE a.id = %s",
            [activity.pk],
        )
        row = cursor.fetchone()
    loaded = columns.load(("ignored", *row), 1, connection)
    assert loaded.pk == activity.pk
    assert loaded.title == activity.title
    assert loaded.end_date == activity.end_date  # a date, not the engine's text
    assert loaded.checkout_time == activity.checkout_time
    assert loaded.lat == activity.lat  # a Decimal with the field's places
    assert loaded.created_at == activity.created_at  # an aware datetime
    assert loaded.get_deferred_fields() >= {"start_date", "places"}
    assert loaded.places == activity.places  # any other field loads on first use


def test_insert_one_writes_the_row_as_save_would(db):
    from django.db import IntegrityError

    from threehours.core.db import insert_one

    user = insert_one(User(phone="13700000042", nickname="志愿者"))
    assert user.pk and not user._state.adding
    stored = User.objects.get(pk=user.pk)
    assert (stored.phone, stored.nickname, stored.is_active) == ("13700000042", "志愿者", True)
    assert stored.date_joined == user.date_joined  # the field's default, written
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_one(User(phone="13700000042"))
    assert User.objects.filter(phone="13700000042").count() == 1


def test_columns_get_finds_a_row_by_its_fields_and_locks_only_in_a_transaction(users):
    from threehours.core.db import Columns

    first = users[0]
    columns = Columns(User, "u", ("phone", "nickname"))
    found = columns.get(phone=first.phone)
    assert (found.pk, found.nickname) == (first.pk, first.nickname)
    assert columns.get(phone="19999999999") is None
    with pytest.raises(LockOutsideTransaction):
        columns.get(lock=True, phone=first.phone)
    with transaction.atomic():
        assert columns.get(lock=True, phone=first.phone).pk == first.pk


def test_update_one_writes_the_fields_named_and_the_auto_now_time(db):
    import datetime as dt

    from django.utils import timezone

    from threehours.core.db import update_one
    from threehours.hours.models import HoursSummary

    user = User.objects.create(phone="13700000043", nickname="旧")
    user.nickname, user.real_name = "新", "不写"
    update_one(user, ("nickname",))
    stored = User.objects.get(pk=user.pk)
    assert (stored.nickname, stored.real_name) == ("新", "")
    summary = HoursSummary.objects.create(volunteer=user)
    before = summary.updated_at
    summary.updated_at = before - dt.timedelta(days=1)
    update_one(summary, ("updated_at",))
    summary.refresh_from_db()
    assert summary.updated_at >= before  # auto_now: the time of the write
    assert timezone.now() - summary.updated_at < dt.timedelta(seconds=5)


def test_increment_adds_in_the_database_and_counts_the_rows(db):
    from decimal import Decimal

    from threehours.core.db import increment
    from threehours.hours.models import HoursSummary

    user = User.objects.create(phone="13700000044")
    assert increment(HoursSummary, user.pk, "service_hours", Decimal("1.3")) == 0
    HoursSummary.objects.create(volunteer=user, service_hours=Decimal("2.0"))
    assert increment(HoursSummary, user.pk, "service_hours", Decimal("1.3")) == 1
    assert increment(HoursSummary, user.pk, "service_hours", Decimal("-0.3")) == 1
    assert HoursSummary.objects.get(volunteer=user).service_hours == Decimal("3.0")
    # auto_now: the total's time of change moves with it.
    HoursSummary.objects.filter(volunteer=user).update(
        updated_at=timezone.now() - dt.timedelta(days=1)
    )
    increment(HoursSummary, user.pk, "online_hours", Decimal("0.1"))
    stored = HoursSummary.objects.get(volunteer=user)
    assert stored.online_hours == Decimal("0.1")
    assert timezone.now() - stored.updated_at < dt.timedelta(seconds=5)


def test_write_chain_needs_postgresql(db):
    from django.db import NotSupportedError, connection

    from threehours.core.db import Insert, write_chain

    if connection.vendor == "postgresql":
        pytest.skip("SQLite's refusal")
    with pytest.raises(NotSupportedError):
        write_chain(Insert(User(phone="13700000045")))
    assert not User.objects.filter(phone="13700000045").exists()


@pytest.mark.postgres
def test_write_chain_writes_the_rest_only_after_the_first(db):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from threehours.core.db import Insert, write_chain
    from threehours.hours.models import HoursSummary

    first = User(phone="13700000046")
    summary = HoursSummary(volunteer=User.objects.create(phone="13700000047"))
    assert write_chain(Insert(first, skip_conflict=True), Insert(summary))
    assert first.pk and not first._state.adding
    assert User.objects.get(pk=first.pk).date_joined == first.date_joined  # default, written
    stored = HoursSummary.objects.get(pk=summary.pk)
    assert stored.updated_at == summary.updated_at  # auto_now, set on the instance too
    assert timezone.now() - stored.updated_at < dt.timedelta(seconds=5)
    # A unique constraint refuses the first quietly: nothing else is written.
    again, other = User(phone="13700000046"), User(phone="13700000048")
    assert not write_chain(Insert(again, skip_conflict=True), Insert(other))
    assert again.pk is None and other.pk is None
    assert not User.objects.filter(phone="13700000048").exists()
    assert HoursSummary.objects.get(pk=summary.pk).service_hours == Decimal("0")


@pytest.mark.postgres
def test_write_chain_updates_only_while_the_row_holds_what_was_read(db):
    from decimal import Decimal

    from threehours.core.db import Insert, Update, write_chain
    from threehours.hours.models import HoursSummary

    user = User.objects.create(phone="13700000049", nickname="旧")
    user.nickname = "新"
    gain = HoursSummary(volunteer=user, service_hours=Decimal("1.5"), online_hours=Decimal("9"))
    added = Insert(gain, add=("service_hours",))
    # No summary yet: the upsert creates it with the new instance's values.
    assert write_chain(Update(user, ("nickname",), where={"real_name": "", "email": None}), added)
    stored = HoursSummary.objects.get(volunteer=user)
    assert (stored.service_hours, stored.online_hours) == (Decimal("1.5"), Decimal("9.0"))
    # There now: only the fields named are added to, the rest keep their values, but the
    # auto_now field, which gets the time.
    HoursSummary.objects.filter(pk=stored.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=1)
    )
    gain.online_hours = Decimal("5")
    assert write_chain(Update(user, ("nickname",), where={"nickname": "新"}), added)
    stored.refresh_from_db()
    assert (stored.service_hours, stored.online_hours) == (Decimal("3.0"), Decimal("9.0"))
    assert timezone.now() - stored.updated_at < dt.timedelta(seconds=5)
    # The row no longer holds what was read: no update, and nothing after it.
    user.nickname = "更新"
    assert not write_chain(Update(user, ("nickname",), where={"nickname": "旧"}), added)
    assert User.objects.get(pk=user.pk).nickname == "新"
    stored.refresh_from_db()
    assert stored.service_hours == Decimal("3.0")


@pytest.mark.parametrize(
    ("value", "ok"), [(0, False), (-1, False), (1, True), (2**63 - 1, True), (2**63, False)]
)
def test_id_in_range_is_a_bigint_primary_key(value, ok):
    from threehours.core.db import id_in_range

    assert id_in_range(value) is ok
