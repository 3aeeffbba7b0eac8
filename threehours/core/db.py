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


class Columns:
    """The columns of one model in a hand-written SELECT, and the rows turned back into model
    instances with the engine's converters (SQLite hands back datetimes as text, for example).

    For the few reads on the hottest paths (token authentication, check-in): compiling an ORM
    query there costs about ten times the CPU of executing it (bench/README.md), and those paths
    run hundreds of times a second in a rush. Everything else uses the ORM.
    """

    def __init__(self, model: type[M], alias: str, fields: tuple[str, ...] | None = None):
        meta = model._meta
        chosen = [meta.get_field(name) for name in fields] if fields else list(meta.concrete_fields)
        if meta.pk not in chosen:
            chosen.insert(0, meta.pk)
        # Model.from_db() fills a partial row in the model's field order.
        order = {field: i for i, field in enumerate(meta.concrete_fields)}
        chosen.sort(key=order.__getitem__)
        self.model = model
        self.alias = alias
        self.fields = chosen
        self.attnames = [field.attname for field in chosen]
        self._converters: dict[str, list] = {}
        self._sql: dict = {}

    def sql(self, connection) -> str:
        found = self._sql.get(connection.vendor)
        if found is None:
            quote = connection.ops.quote_name
            found = ", ".join(f"{quote(self.alias)}.{quote(f.column)}" for f in self.fields)
            self._sql[connection.vendor] = found
        return found

    def table(self, connection) -> str:
        quote = connection.ops.quote_name
        return f"{quote(self.model._meta.db_table)} {quote(self.alias)}"

    def _converters_for(self, connection) -> list:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for field in self.fields:
                col = field.get_col(self.alias)
                converters = connection.ops.get_db_converters(col) + col.get_db_converters(
                    connection
                )
                found.append((col, converters))
            self._converters[connection.vendor] = found
        return found

    def load(self, row: tuple | list, start: int, connection) -> M:
        """The instance held by `row[start : start + len(self.fields)]`."""
        values = list(row[start : start + len(self.fields)])
        for i, (col, converters) in enumerate(self._converters_for(connection)):
            for converter in converters:
                values[i] = converter(values[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, values)

    def __len__(self) -> int:
        return len(self.fields)

    def get(self, *, lock: bool = False, **lookup: Any) -> M | None:
        """The row whose fields equal `lookup` (attribute names: `signup_id`, `day`), or None;
        with `lock`, locked until the transaction ends (FOR UPDATE; SQLite's IMMEDIATE
        transaction already holds the write lock)."""
        connection = transaction.get_connection()
        if lock:
            _ensure_atomic()
        meta = self.model._meta
        names = tuple(lookup)
        key = (connection.vendor, names, lock)
        sql = self._sql.get(key)
        if sql is None:
            quote = connection.ops.quote_name
            where = " AND ".join(
                f"{quote(self.alias)}.{quote(meta.get_field(name).column)} = %s" for name in names
            )
            sql = f"SELECT {self.sql(connection)} FROM {self.table(connection)} WHERE {where}"  # noqa: S608
            if lock and connection.features.has_select_for_update:
                sql += " FOR UPDATE"
            self._sql[key] = sql
        params = [
            meta.get_field(name).get_db_prep_value(value, connection)
            for name, value in lookup.items()
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return None if row is None else self.load(row, 0, connection)


_INSERTS: dict[tuple[type[models.Model], str], tuple[str, list, bool]] = {}


def insert_one(obj: M) -> M:
    """INSERT the new model instance `obj` with a statement built once per model and engine,
    and set its primary key. Like `obj.save()` on a new row, but without `pre_save`/`post_save`
    signals: for append-only rows on the hottest paths (check-in attempts and attendances),
    where compiling the ORM's INSERT cost more CPU than the database spent on it.
    Raises IntegrityError as `save()` does."""
    model = type(obj)
    connection = transaction.get_connection()
    key = (model, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        meta = model._meta
        quote = connection.ops.quote_name
        auto = meta.auto_field  # None when the model sets its own primary key
        fields = [f for f in meta.concrete_fields if f is not auto]
        returning = auto is not None and connection.features.can_return_columns_from_insert
        sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})"
            + (f" RETURNING {quote(meta.pk.column)}" if returning else "")
        )
        found = _INSERTS[key] = (sql, fields, returning)
    sql, fields, returning = found
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            obj.pk = cursor.fetchone()[0]
        elif model._meta.auto_field is not None:
            obj.pk = cursor.lastrowid
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


_UPDATES: dict[tuple, tuple[str, list]] = {}


def update_one(obj: models.Model, fields: tuple[str, ...]) -> None:
    """UPDATE `fields` of the saved instance `obj` (an `auto_now` field among them gets the
    time), with a statement built once per model, fields and engine: `save(update_fields=…)`
    without its compiling or signals, for the check-out's hot path."""
    model = type(obj)
    connection = transaction.get_connection()
    key = (model, fields, connection.vendor)
    found = _UPDATES.get(key)
    if found is None:
        meta = model._meta
        quote = connection.ops.quote_name
        chosen = [meta.get_field(name) for name in fields]
        sets = ", ".join(f"{quote(f.column)} = %s" for f in chosen)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
        found = _UPDATES[key] = (sql, chosen)
    sql, chosen = found
    params = [f.get_db_prep_save(f.pre_save(obj, False), connection) for f in chosen]
    params.append(obj._meta.pk.get_db_prep_value(obj.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def increment(model: type[models.Model], pk: Any, field: str, amount: Any) -> int:
    """`field = field + amount` in the row `pk`; returns how many rows changed (0 or 1). The
    database adds, so concurrent increments never lose one."""
    connection = transaction.get_connection()
    key = (model, (field, "+="), connection.vendor)
    found = _UPDATES.get(key)
    if found is None:
        meta = model._meta
        quote = connection.ops.quote_name
        column = quote(meta.get_field(field).column)
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {column} = {column} + %s "  # noqa: S608
            f"WHERE {quote(meta.pk.column)} = %s"
        )
        found = _UPDATES[key] = (sql, [meta.get_field(field)])
    sql, (target,) = found
    params = [
        target.get_db_prep_save(amount, connection),
        model._meta.pk.get_db_prep_value(pk, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
