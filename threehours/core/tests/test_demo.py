"""`threehours demo` data: idempotent, and only in debug."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from threehours.accounts.models import User
from threehours.notifications.models import Message
from threehours.orgs.models import Organisation

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_demo_data_is_idempotent_and_needs_debug(settings, regions):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_data")
    call_command("demo_data", force=True)
    counts = (User.objects.count(), Message.objects.count(), Organisation.objects.count())
    call_command("demo_data", force=True)
    assert (User.objects.count(), Message.objects.count(), Organisation.objects.count()) == counts
    assert Organisation.objects.filter(state="submitted").count() == 1


def test_the_cli_migrates_and_loads_demo_data_twice_without_duplicates(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("THREEHOURS_") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        THREEHOURS_DEBUG="true",
        THREEHOURS_VAR_DIR=str(tmp_path),
        THREEHOURS_TEST_PHONES="13800000001:123456",
    )
    cli = [sys.executable, "-m", "threehours.cli", "manage"]

    def run(*args):
        result = subprocess.run(
            [*cli, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run("migrate", "-v", "0")
    out = run("demo_data")
    assert "13800000001  code 123456" in out and "org@demo.threehours.cn" in out
    db = tmp_path / "threehours.sqlite3"
    first = sqlite3.connect(db).execute("SELECT count(*) FROM accounts_user").fetchone()
    run("demo_data")
    second = sqlite3.connect(db).execute("SELECT count(*) FROM accounts_user").fetchone()
    assert first == second and first[0] >= 5
