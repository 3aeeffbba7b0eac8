"""Start-up configuration (docs/style.md §5), checked in fresh interpreters with a controlled
environment: a bad or missing value stops start-up with ImproperlyConfigured."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]

# Prints the settings named on the command line, or the start-up error's class and message.
SHOW = """
import sys
try:
    from django.conf import settings
    values = [str(getattr(settings, name)) for name in sys.argv[1:]]
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}")
    sys.exit(3)
print("\\n".join(values))
"""


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the project's variables, plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("THREEHOURS_")
        and name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env.update(extra)
    return env


def start(env: dict[str, str], *names: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", SHOW, *names],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def production(tmp_path) -> dict[str, str]:
    """A complete production environment."""
    return clean_env(
        THREEHOURS_DEBUG="false",
        THREEHOURS_SECRET_KEY=secrets.token_urlsafe(45),  # 60 characters
        THREEHOURS_FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        THREEHOURS_ALLOWED_HOSTS="example.org",
        REDIS_URL="redis://127.0.0.1:6379/15",
        THREEHOURS_VAR_DIR=str(tmp_path),
    )


def test_production_environment_starts(production):
    result = start(production, "DEBUG", "ALLOWED_HOSTS")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["False", "['example.org']"]


def test_production_needs_a_secret_key(production):
    del production["THREEHOURS_SECRET_KEY"]

    result = start(production, "SECRET_KEY")

    assert result.returncode == 3
    assert result.stdout.startswith("ImproperlyConfigured: THREEHOURS_SECRET_KEY is required")


def test_production_needs_an_encryption_key(production):
    del production["THREEHOURS_FIELD_ENCRYPTION_KEYS"]

    result = start(production, "FIELD_ENCRYPTION_KEYS")

    assert result.returncode == 3
    assert result.stdout.startswith(
        "ImproperlyConfigured: THREEHOURS_FIELD_ENCRYPTION_KEYS is required"
    )


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("THREEHOURS_DEBUG", "maybe", "THREEHOURS_DEBUG must be true or false"),
        ("THREEHOURS_FIELD_ENCRYPTION_KEYS", "not-a-key", "not a Fernet key"),
        ("THREEHOURS_NOTIFY_MAX_RETRIES", "five", "must be a whole number"),
        ("THREEHOURS_NOTIFY_MAX_RETRIES", "-1", "must be at least 0"),
        ("THREEHOURS_EMAIL_BACKEND", "pigeon", "THREEHOURS_EMAIL_BACKEND must be one of"),
        ("THREEHOURS_TEST_PHONES", "13800000001", "THREEHOURS_TEST_PHONES entries look like"),
    ],
)
def test_a_bad_value_is_refused_at_start_up(production, name, value, complaint):
    production[name] = value

    result = start(production, "DEBUG")

    assert result.returncode == 3
    assert result.stdout.startswith("ImproperlyConfigured: ")
    assert complaint in result.stdout


def test_a_bad_key_among_several_is_refused(production):
    production["THREEHOURS_FIELD_ENCRYPTION_KEYS"] += ",also-not-a-key"

    result = start(production, "FIELD_ENCRYPTION_KEYS")

    assert result.returncode == 3 and "not a Fernet key" in result.stdout


def test_production_settings_pass_the_deploy_check(production):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_sessions_live_in_redis_only_when_there_is_one(production):
    with_redis = start(production, "SESSION_ENGINE")
    without = {k: v for k, v in production.items() if k != "REDIS_URL"}
    without["THREEHOURS_DEBUG"] = "true"  # production needs Redis; the embedded set-up not
    embedded = start(without, "SESSION_ENGINE")

    assert with_redis.stdout.strip() == "django.contrib.sessions.backends.cached_db"
    # A per-process cache would keep a logged-out session alive in the other workers.
    assert embedded.stdout.strip() == "django.contrib.sessions.backends.db", embedded.stdout


def test_debug_generates_its_keys_once_and_reuses_them(tmp_path):
    env = clean_env(THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(tmp_path))

    first = start(env, "SECRET_KEY", "FIELD_ENCRYPTION_KEYS")
    second = start(env, "SECRET_KEY", "FIELD_ENCRYPTION_KEYS")

    assert first.returncode == 0, first.stdout + first.stderr
    secret_key, keys = first.stdout.splitlines()
    assert len(secret_key) >= 50
    assert keys == repr([(tmp_path / "field_encryption_key").read_text()])
    Fernet((tmp_path / "field_encryption_key").read_text())  # a usable key
    assert (tmp_path / "secret_key").read_text() == secret_key
    assert second.stdout == first.stdout  # kept, not made again
    for name in ["secret_key", "field_encryption_key"]:
        assert (tmp_path / name).stat().st_mode & 0o077 == 0  # readable by the owner only


def test_debug_keys_differ_between_installations(tmp_path):
    one = start(
        clean_env(THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(tmp_path / "a")), "SECRET_KEY"
    )
    two = start(
        clean_env(THREEHOURS_DEBUG="true", THREEHOURS_VAR_DIR=str(tmp_path / "b")), "SECRET_KEY"
    )

    assert one.returncode == two.returncode == 0
    assert one.stdout != two.stdout


@pytest.mark.parametrize("name", ["THREEHOURS_SECRET_KEY", "THREEHOURS_FIELD_ENCRYPTION_KEYS"])
def test_a_secret_can_come_from_a_file(production, tmp_path, name):
    value = Fernet.generate_key().decode()  # long enough for a secret key too
    path = tmp_path / "secret.txt"
    path.write_text(value + "\n")
    del production[name]
    production[f"{name}_FILE"] = str(path)

    result = start(production, "SECRET_KEY", "FIELD_ENCRYPTION_KEYS")

    assert result.returncode == 0, result.stdout + result.stderr
    secret_key, keys = result.stdout.splitlines()
    if name == "THREEHOURS_SECRET_KEY":
        assert secret_key == value
    else:
        assert keys == repr([value])


def test_an_unreadable_secret_file_is_refused(production, tmp_path):
    del production["THREEHOURS_SECRET_KEY"]
    production["THREEHOURS_SECRET_KEY_FILE"] = str(tmp_path / "missing")

    result = start(production, "SECRET_KEY")

    assert result.returncode == 3
    assert "THREEHOURS_SECRET_KEY_FILE" in result.stdout and "cannot be read" in result.stdout


def test_production_logs_are_one_json_object_a_line(production):
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('threehours').warning('hello', extra={'n': 3})"
    )

    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert (record["message"], record["level"], record["logger"], record["n"]) == (
        "hello",
        "WARNING",
        "threehours",
        3,
    )


def test_x_forwarded_proto_is_trusted_behind_the_proxy_unless_turned_off(production):
    """deploy/nginx overwrites X-Forwarded-Proto; where nodes are reachable without it, the
    header must not make a plain request look secure."""
    result = start(production, "SECURE_PROXY_SSL_HEADER")
    assert result.stdout.splitlines() == ["('HTTP_X_FORWARDED_PROTO', 'https')"], result.stdout
    production["THREEHOURS_TRUST_X_FORWARDED_PROTO"] = "false"
    result = start(production, "SECURE_PROXY_SSL_HEADER")
    assert result.stdout.splitlines() == ["None"], result.stdout + result.stderr
