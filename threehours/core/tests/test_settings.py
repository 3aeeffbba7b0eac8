"""Start-up configuration, checked in fresh interpreters with a controlled environment."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[3]


def _run(
    env_extra: dict[str, str],
    code: str = "import django; django.setup()",
    args: list[str] | None = None,
) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("THREEHOURS_")
        and k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env_extra})
    command = [sys.executable, *(args or ["-c", code])]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_production_needs_a_secret_key(tmp_path):
    result = _run({"THREEHOURS_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "THREEHOURS_SECRET_KEY is required" in result.stderr


def test_bad_values_stop_start_up(tmp_path):
    result = _run({"THREEHOURS_DEBUG": "maybe", "THREEHOURS_VAR_DIR": str(tmp_path)})
    assert "THREEHOURS_DEBUG must be true or false" in result.stderr
    result = _run(
        {
            "THREEHOURS_SECRET_KEY": "x" * 60,
            "THREEHOURS_VAR_DIR": str(tmp_path),
            "THREEHOURS_FIELD_ENCRYPTION_KEYS": "not-a-key",
        }
    )
    assert "not a Fernet key" in result.stderr


def test_debug_generates_keys_once_and_keeps_them(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY, settings.FIELD_ENCRYPTION_KEYS[0])"
    )
    first = _run({"THREEHOURS_DEBUG": "true", "THREEHOURS_VAR_DIR": str(tmp_path)}, code)
    second = _run({"THREEHOURS_DEBUG": "true", "THREEHOURS_VAR_DIR": str(tmp_path)}, code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("var", ["THREEHOURS_SECRET_KEY", "THREEHOURS_FIELD_ENCRYPTION_KEYS"])
def test_secrets_can_come_from_files(tmp_path, var):
    secret = Fernet.generate_key().decode()
    (tmp_path / "secret").write_text(secret + "\n")
    env = {
        "THREEHOURS_SECRET_KEY": "y" * 60,
        "THREEHOURS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "THREEHOURS_VAR_DIR": str(tmp_path),
    }
    del env[var]
    env[f"{var}_FILE"] = str(tmp_path / "secret")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY, settings.FIELD_ENCRYPTION_KEYS)"
    )
    result = _run(env, code)
    assert result.returncode == 0, result.stderr
    assert secret in result.stdout


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = _run(
        {
            "THREEHOURS_SECRET_KEY": "k" * 20 + "Zq8#pL2!vW9@xR4$tY6%uI1^oP3&aS5*dF7(gH0)",
            "THREEHOURS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "THREEHOURS_ALLOWED_HOSTS": "3hours.example.org",
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "THREEHOURS_VAR_DIR": str(tmp_path),
        },
        args=["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_logs_are_one_json_object_a_line(tmp_path):
    import json

    result = _run(
        {
            "THREEHOURS_SECRET_KEY": "z" * 60,
            "THREEHOURS_VAR_DIR": str(tmp_path),
            "THREEHOURS_FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        },
        "import django, logging; django.setup(); "
        "logging.getLogger('threehours').warning('hello', extra={'n': 3})",
    )
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello" and record["level"] == "WARNING" and record["n"] == 3
