"""The hours ledger is append-only in the database itself (docs/style.md: the database is the last
line of defence): a trigger refuses every UPDATE and DELETE of a LedgerEntry row, whatever code
or console sends it. Corrections and reversals are new entries.

Engine notes:
- PostgreSQL: one trigger function raising SQLSTATE 23000 (Django: IntegrityError). TRUNCATE
  fires no row trigger; it is left to the test runner's flush (transactional tests), and a
  statement-level TRUNCATE trigger would break that.
- SQLite: RAISE(ABORT) (also an IntegrityError). SQLite drops a table's triggers when Django
  rebuilds the table (most AlterField/RemoveField on SQLite): a later migration that alters
  LedgerEntry must create these triggers again (run `ledger_guard_create` after it); the
  immutability tests fail until it does.

The SQL lives here, not in app code (migrations never import app code); the tests import it
from this module.
"""

from django.db import migrations

TABLE = "hours_ledgerentry"
MESSAGE = "hours ledger entries are immutable: append a correction instead"

POSTGRESQL_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION hours_ledgerentry_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END
    $$
    """,
    f"""
    CREATE TRIGGER hours_ledgerentry_immutable
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION hours_ledgerentry_immutable()
    """,
]
POSTGRESQL_DROP = [
    f"DROP TRIGGER IF EXISTS hours_ledgerentry_immutable ON {TABLE}",
    "DROP FUNCTION IF EXISTS hours_ledgerentry_immutable()",
]

SQLITE_CREATE = [
    f"""
    CREATE TRIGGER IF NOT EXISTS hours_ledgerentry_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE refused)'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS hours_ledgerentry_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE refused)'); END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS hours_ledgerentry_no_update",
    "DROP TRIGGER IF EXISTS hours_ledgerentry_no_delete",
]

CREATE = {"postgresql": POSTGRESQL_CREATE, "sqlite": SQLITE_CREATE}
DROP = {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}


def ledger_guard_create(apps, schema_editor):
    for statement in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


def ledger_guard_drop(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("hours", "0001_initial")]

    operations = [migrations.RunPython(ledger_guard_create, ledger_guard_drop, elidable=False)]
