"""Locking helpers (STYLE.md §4): lock, then check.

On PostgreSQL these take row locks with SELECT ... FOR UPDATE ordered by primary key, so two
services locking the same rows never deadlock. SQLite ignores FOR UPDATE; there the IMMEDIATE
transaction mode set in settings takes the database write lock at BEGIN, so writers queue.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction

M = TypeVar("M", bound=models.Model)


class LockOutsideTransaction(RuntimeError):
    pass


def _ensure_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise LockOutsideTransaction("lock_one()/lock_many() must run inside transaction.atomic()")


def lock_one(model: type[M], **lookup: Any) -> M:
    """Fetch one row and lock it until the transaction ends. Raises model.DoesNotExist."""
    _ensure_atomic()
    return model._default_manager.select_for_update().get(**lookup)


def lock_many(model: type[M], **lookup: Any) -> list[M]:
    """Fetch and lock several rows, always in primary-key order."""
    _ensure_atomic()
    return list(model._default_manager.select_for_update().filter(**lookup).order_by("pk"))


def lock_key(name: str) -> None:
    """Serialise writers on a name that has no row to lock yet (e.g. "sms:13800000001").

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, the IMMEDIATE
    transaction already holds the database write lock.
    """
    _ensure_atomic()
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
