"""Locking helpers (docs/style.md §4): lock, then check; and the hand-built statements of the
hottest paths (docs/decisions/0007).

On PostgreSQL the locking helpers take row locks with SELECT ... FOR UPDATE ordered by primary
key, so two services locking the same rows never deadlock. SQLite ignores FOR UPDATE; there the
IMMEDIATE transaction mode set in settings takes the database write lock at BEGIN, so writers
queue.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from django.db import NotSupportedError, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

# A bigint primary key: ids outside (0, ID_MAX] name no row. A foreign-key lookup on SQLite has
# no out-of-range guard (an id past 2**63 overflows there), so reads by an id from outside
# check it first with id_in_range().
ID_MAX = 2**63 - 1


def id_in_range(value: int) -> bool:
    """`value` can be a primary key (1 to ID_MAX): the one id-range guard."""
    return 0 < value <= ID_MAX


def supports_write_chain() -> bool:
    """Whether write_chain() can run on the current connection: PostgreSQL has data-modifying
    WITH, SQLite does not (docs/decisions/0007). Services ask this, never the vendor."""
    return transaction.get_connection().vendor == "postgresql"


def quote_table(model: type[models.Model], connection) -> str:
    """The model's table name quoted for `connection`, for hand-written SQL."""
    return connection.ops.quote_name(model._meta.db_table)


def hot_cursor(connection):
    """The cursor for the hand-built statements of the hottest paths: on PostgreSQL one whose
    statements are prepared once per connection (core/postgresql), elsewhere Django's own."""
    prepared = getattr(connection, "prepared_cursor", None)
    return prepared() if prepared is not None else connection.cursor()


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

    def load_rows(self, rows: list, connection) -> list[M]:
        """Instances holding the fields from the first columns of each of `rows`; the other
        fields load on first use, as after `.only()`. Built without Model.__init__ (what
        from_db() and load() call): for a list page, its argument handling and pre_init/
        post_init signals cost 0.7 ms of CPU for 20 rows, against 0.08 ms here. So no init
        receiver runs (e.g. an image field's dimension update, which on a partial row would
        read the deferred width and height with one query per row)."""
        converters = self._converters.get((connection.vendor, "rows"))
        if converters is None:
            converters = [
                (i, col, found)
                for i, (col, found) in enumerate(self._converters_for(connection))
                if found
            ]
            self._converters[(connection.vendor, "rows")] = converters
        model, attnames, width, alias = (
            self.model,
            self.attnames,
            len(self.fields),
            connection.alias,
        )
        items = []
        for row in rows:
            values = list(row[:width])
            for i, col, found in converters:
                for convert in found:
                    values[i] = convert(values[i], col, connection)
            obj = model.__new__(model)
            obj._state = ModelState()
            obj._state.adding = False
            obj._state.db = alias
            obj.__dict__.update(zip(attnames, values, strict=True))
            items.append(obj)
        return items

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
        with hot_cursor(connection) as cursor:
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
    with hot_cursor(connection) as cursor:
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
    with hot_cursor(connection) as cursor:
        cursor.execute(sql, params)


def increment(model: type[models.Model], pk: Any, field: str, amount: Any) -> int:
    """`field = field + amount` in the row `pk`; returns how many rows changed (0 or 1). The
    database adds, so concurrent increments never lose one. An `auto_now` field of the model
    gets the time, as in a save()."""
    connection = transaction.get_connection()
    key = (model, (field, "+="), connection.vendor)
    found = _UPDATES.get(key)
    if found is None:
        meta = model._meta
        quote = connection.ops.quote_name
        column = quote(meta.get_field(field).column)
        stamps = _auto_now_fields(meta)
        sets = [f"{column} = {column} + %s"] + [f"{quote(f.column)} = %s" for f in stamps]
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
            f"WHERE {quote(meta.pk.column)} = %s"
        )
        found = _UPDATES[key] = (sql, [meta.get_field(field), *stamps])
    sql, (target, *stamps) = found
    now = timezone.now() if stamps else None
    params = [
        target.get_db_prep_save(amount, connection),
        *(f.get_db_prep_save(now, connection) for f in stamps),
        model._meta.pk.get_db_prep_value(pk, connection),
    ]
    with hot_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# -- several writes as one statement (PostgreSQL) ---------------------------------------------


@dataclasses.dataclass
class Insert:
    """A new instance to INSERT in `write_chain`. `skip_conflict`: ON CONFLICT DO NOTHING (a
    unique constraint refuses quietly; as the first write, the chain then writes nothing).
    `add`: an upsert on the primary key, the row already there gets these fields increased by
    the new instance's values (`f = f + EXCLUDED.f`) and its `auto_now` fields get the time;
    every other field keeps its value."""

    obj: models.Model
    skip_conflict: bool = False
    add: tuple[str, ...] = ()


@dataclasses.dataclass
class Update:
    """The saved instance's `fields` to UPDATE in `write_chain` (an `auto_now` field among them
    gets the time), only while the row still holds `where` (field name → value, None for
    IS NULL): a compare-and-set on what the caller read."""

    obj: models.Model
    fields: tuple[str, ...]
    where: dict[str, Any] = dataclasses.field(default_factory=dict)


_CHAINS: dict[tuple, str] = {}


def write_chain(first: Insert | Update, *then: Insert) -> bool:
    """`first` and, only when `first` wrote its row, every INSERT of `then`, as ONE statement
    on PostgreSQL (data-modifying WITH): atomic like any statement, so in autocommit it costs one
    round trip, without BEGIN and COMMIT, instead of one per write and two for the transaction.
    Returns whether `first` wrote its row; the written instances get their primary keys.

    Built once per shape (models, fields, flags) and engine from the models' metadata, values
    through `get_db_prep_save` and `pre_save` like `insert_one`/`update_one`, signals skipped
    like theirs. Every write sees the database as it was when the statement started (not each
    other's rows), so `then` must not depend on what `first` changes beyond its having happened.
    Raises NotSupportedError on other engines (SQLite has no data-modifying WITH), IntegrityError
    as the writes would."""
    if not supports_write_chain():
        raise NotSupportedError("write_chain() needs PostgreSQL (data-modifying WITH)")
    connection = transaction.get_connection()
    steps = (first, *then)
    key = tuple(_shape(step) for step in steps)
    sql = _CHAINS.get(key)
    if sql is None:
        sql = _CHAINS[key] = _chain_sql(steps, connection)
    params: list = []
    for step in steps:
        meta = step.obj._meta
        if isinstance(step, Update):
            chosen = [meta.get_field(name) for name in step.fields]
            params += [f.get_db_prep_save(f.pre_save(step.obj, False), connection) for f in chosen]
            params.append(meta.pk.get_db_prep_value(step.obj.pk, connection))
            params += [
                meta.get_field(name).get_db_prep_value(value, connection)
                for name, value in step.where.items()
                if value is not None
            ]
        else:
            params += [
                f.get_db_prep_save(f.pre_save(step.obj, True), connection)
                for f in _insert_fields(meta)
            ]
    with hot_cursor(connection) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    for step, pk in zip(steps, row, strict=True):
        if isinstance(step, Insert) and pk is not None:
            if step.obj._meta.auto_field is not None:
                step.obj.pk = pk
            step.obj._state.adding = False
            step.obj._state.db = connection.alias
    return True


def _auto_now_fields(meta) -> list:
    return [f for f in meta.concrete_fields if getattr(f, "auto_now", False)]


def _insert_fields(meta) -> list:
    return [f for f in meta.concrete_fields if f is not meta.auto_field]


def _shape(step: Insert | Update) -> tuple:
    if isinstance(step, Update):
        nulls = tuple(value is None for value in step.where.values())
        return (type(step.obj), "update", step.fields, tuple(step.where), nulls)
    return (type(step.obj), "insert", step.skip_conflict, step.add)


def _chain_sql(steps: tuple, connection) -> str:
    """WITH w0 AS (first RETURNING pk), w1 AS (INSERT … SELECT %s, … FROM w0 RETURNING pk), …
    SELECT w0.pk, (SELECT pk FROM w1), … FROM w0: one row when `first` wrote, none otherwise.
    Identifiers come from the models, values are parameters."""
    quote = connection.ops.quote_name
    parts, picks = [], []
    for i, step in enumerate(steps):
        meta = step.obj._meta
        table, pk = quote(meta.db_table), quote(meta.pk.column)
        if isinstance(step, Update):
            if i:
                raise ValueError("write_chain(): only the first write may be an Update")
            sets = ", ".join(f"{quote(meta.get_field(n).column)} = %s" for n in step.fields)
            conditions = [f"{pk} = %s"] + [
                f"{quote(meta.get_field(n).column)} IS NULL"
                if value is None
                else f"{quote(meta.get_field(n).column)} = %s"
                for n, value in step.where.items()
            ]
            write = f"UPDATE {table} SET {sets} WHERE {' AND '.join(conditions)}"  # noqa: S608
        else:
            fields = _insert_fields(meta)
            columns = ", ".join(quote(f.column) for f in fields)
            values = ", ".join(["%s"] * len(fields))
            # Later writes select their values from w0: a row only when the first one wrote.
            source = f"VALUES ({values})" if i == 0 else f"SELECT {values} FROM w0"  # noqa: S608
            write = f"INSERT INTO {table} ({columns}) {source}"
            if step.add:
                stamps = [f for f in _auto_now_fields(meta) if f.name not in step.add]
                added = ", ".join(
                    [
                        f"{c} = {table}.{c} + EXCLUDED.{c}"
                        for c in (quote(meta.get_field(n).column) for n in step.add)
                    ]
                    + [f"{c} = EXCLUDED.{c}" for c in (quote(f.column) for f in stamps)]
                )
                write += f" ON CONFLICT ({pk}) DO UPDATE SET {added}"
            elif step.skip_conflict:
                write += " ON CONFLICT DO NOTHING"
        parts.append(f"w{i} AS ({write} RETURNING {pk})")
        picks.append(f"w0.{pk}" if i == 0 else f"(SELECT {pk} FROM w{i})")  # noqa: S608
    return f"WITH {', '.join(parts)} SELECT {', '.join(picks)} FROM w0"  # noqa: S608
