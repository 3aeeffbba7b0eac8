"""DATABASE_REPLICA_URLS → database aliases (docs/operations.md "Read replicas"), checked in fresh
interpreters like test_settings.py. The routing itself is tested against a real replica in
signups/tests/test_replicas.py (PostgreSQL pass)."""

from __future__ import annotations

import json
import subprocess
import sys

from .test_settings import ROOT, clean_env, start

SHOW_DATABASES = """
import json
from django.conf import settings
print(json.dumps({a: {k: d.get(k) for k in ("ENGINE", "HOST", "PORT", "NAME", "OPTIONS", "TEST",
      "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")} for a, d in settings.DATABASES.items()}, default=str))
print(json.dumps([settings.REPLICA_STICKY_SECONDS, settings.REPLICA_MAX_LAG_SECONDS]))
"""


def _env(**extra: str) -> dict[str, str]:
    env = clean_env(THREEHOURS_DEBUG="true", **extra)
    for name in ("DATABASE_REPLICA_URLS", "REPLICA_STICKY_SECONDS", "REPLICA_MAX_LAG_SECONDS"):
        if name not in extra:
            env.pop(name, None)
    return env


def _databases(env: dict[str, str]):
    done = subprocess.run(
        [sys.executable, "-c", SHOW_DATABASES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    databases, limits = done.stdout.strip().splitlines()
    return json.loads(databases), json.loads(limits)


def test_replica_urls_become_aliases_with_the_primarys_options():
    databases, limits = _databases(
        _env(
            DATABASE_URL="postgres://app@db1:5432/threehours",
            DATABASE_REPLICA_URLS="postgres://app@db2:5432/threehours, postgres://app@db3/threehours",
            REPLICA_STICKY_SECONDS="7",
        )
    )
    assert list(databases) == ["default", "replica_0", "replica_1"]
    primary, first, second = databases.values()
    assert (first["HOST"], second["HOST"]) == ("db2", "db3")
    for replica in (first, second):
        assert replica["ENGINE"] == primary["ENGINE"] == "threehours.core.postgresql"
        assert replica["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"]
        assert replica["CONN_HEALTH_CHECKS"] is True
        assert replica["OPTIONS"]["connect_timeout"] == 2
        assert replica["TEST"] == {"MIRROR": "default"}
    assert limits == [7, 3]


def test_no_replicas_by_default():
    databases, limits = _databases(_env(DATABASE_URL="postgres://app@db1:5432/threehours"))
    assert list(databases) == ["default"] and limits == [5, 3]


def test_replicas_need_a_primary_and_readable_urls():
    done = start(_env(DATABASE_REPLICA_URLS="postgres://app@db2/threehours"), "DATABASES")
    assert done.returncode == 3 and "DATABASE_REPLICA_URLS needs DATABASE_URL" in done.stdout
    done = start(
        _env(DATABASE_URL="postgres://app@db1/threehours", REPLICA_MAX_LAG_SECONDS="-1"),
        "DATABASES",
    )
    assert done.returncode == 3 and "REPLICA_MAX_LAG_SECONDS must be at least 0" in done.stdout
