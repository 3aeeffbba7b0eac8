"""The restore drill of docs/operations.md (issue #17 §5): dump the database with pg_dump in
custom format, restore it into a new database with pg_restore, and check the restored copy:
the ID number decrypts with the same keys and verify_ledger passes. Runs in the PostgreSQL
pass; a few seconds."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction

from threehours.accounts.models import User
from threehours.accounts.services.real_name import real_name_set
from threehours.core.crypto import decrypt_text
from threehours.family.tests.factories import id_number_born
from threehours.hours.models import LedgerEntry
from threehours.hours.services import ledger_append
from threehours.orgs.tests.factories import approved_org
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]


def _pg_args(db: dict) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["-h", db["HOST"]]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", db["USER"]]
    return args


def _pg_env(db: dict) -> dict[str, str]:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _url(db: dict, name: str) -> str:
    auth = db.get("USER") or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


@pytest.fixture
def restored_name():
    name = f"th_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore")
def test_dump_restore_reads_id_numbers_and_the_ledger_verifies(operator, tmp_path, restored_name):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    person = volunteers(1)[0]
    number = id_number_born(dt.date(1988, 5, 17), serial=321)
    real_name_set(user=person, real_name="李四", id_number=number, consent=True)
    with transaction.atomic():
        for hours in ("2.0", "1.5", "-0.5"):
            ledger_append(
                volunteer=person,
                activity=activity,
                day=activity.start_date,
                hours=Decimal(hours),
                entry_type=LedgerEntry.EntryType.CORRECTION,
                actor=org.applicant,
                reason="drill",
            )

    db = connection.settings_dict
    dump = tmp_path / "threehours.dump"
    env = _pg_env(db)
    subprocess.run(
        ["pg_dump", "-Fc", *_pg_args(db), "-f", str(dump), db["NAME"]],
        check=True,
        env=env,
        timeout=120,
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{restored_name}"')
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", *_pg_args(db), "-d", restored_name]
        + [str(dump)],
        check=True,
        env=env,
        timeout=120,
    )

    # The restored rows decrypt with the same keys (the application's own decryption).
    user_table, entry_table = User._meta.db_table, LedgerEntry._meta.db_table
    with psycopg.connect(_url(db, restored_name)) as restored:
        name, token = restored.execute(
            f"SELECT real_name, id_number_encrypted FROM {user_table} WHERE id = %s",
            [person.pk],
        ).fetchone()
        (entries,) = restored.execute(
            f"SELECT count(*) FROM {entry_table} WHERE volunteer_id = %s", [person.pk]
        ).fetchone()
    assert name == "李四"
    assert decrypt_text(token) == number
    assert entries == 3

    # verify_ledger passes on the restored copy: the real command, in its own process.
    script = Path(sys.executable).with_name("threehours")
    cli_env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("THREEHOURS_") and name not in {"DATABASE_URL", "REDIS_URL"}
    }
    cli_env.update(
        THREEHOURS_DEBUG="true",
        DATABASE_URL=_url(db, restored_name),
        THREEHOURS_FIELD_ENCRYPTION_KEYS=",".join(settings.FIELD_ENCRYPTION_KEYS),
        THREEHOURS_VAR_DIR=str(tmp_path / "var"),
    )
    result = subprocess.run(
        [str(script), "manage", "verify_ledger"],
        cwd=ROOT,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "ledger OK" in result.stdout
