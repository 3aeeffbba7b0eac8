"""Observability settings checked in fresh interpreters (issue #17 §6): HSTS preload is an
opt-in, the access log is on in production, Sentry starts only with a DSN and scrubs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from threehours.core.sentry import ID_MASK, PHONE_MASK, scrub, scrub_text
from threehours.core.tests.test_settings import ROOT, production, start  # noqa: F401

__all__ = ["production"]


def test_hsts_preload_is_off_by_default_and_can_be_opted_in(production):  # noqa: F811
    default = start(production, "SECURE_HSTS_PRELOAD", "SECURE_HSTS_SECONDS")
    production["THREEHOURS_HSTS_PRELOAD"] = "true"
    opted = start(production, "SECURE_HSTS_PRELOAD")

    assert default.stdout.splitlines() == ["False", "31536000"], default.stdout + default.stderr
    assert opted.stdout.splitlines() == ["True"], opted.stdout + opted.stderr


def test_the_preload_flag_reaches_the_header(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = False
    secure = {"HTTP_X_FORWARDED_PROTO": "https", "secure": True}
    from conftest import SiteClient

    plain = SiteClient().get("/healthz", **secure)["Strict-Transport-Security"]
    settings.SECURE_HSTS_PRELOAD = True
    preload = SiteClient().get("/healthz", **secure)["Strict-Transport-Security"]

    assert "preload" not in plain and "max-age=3600" in plain
    assert preload.endswith("preload")


def test_the_access_log_is_opt_in(production, settings):  # noqa: F811
    """nginx writes the access log in front of the nodes (deploy/nginx); the app's own line is
    asked for with THREEHOURS_ACCESS_LOG (it costs the check-in burst 10–15 %)."""
    result = start(production, "ACCESS_LOG", "METRICS_ENABLED")
    assert result.stdout.splitlines() == ["False", "False"], result.stdout + result.stderr
    production["THREEHOURS_ACCESS_LOG"] = "true"
    result = start(production, "ACCESS_LOG")
    assert result.stdout.splitlines() == ["True"], result.stdout + result.stderr
    assert settings.ACCESS_LOG is False  # threehours/testing/early_env.py


def test_a_metrics_token_turns_on_multiprocess_metrics(production, tmp_path):  # noqa: F811
    production["THREEHOURS_METRICS_TOKEN"] = "t0ken"
    result = start(production, "METRICS_ENABLED", "METRICS_DIR")
    enabled, directory = result.stdout.splitlines()
    assert enabled == "True" and directory.endswith("metrics")


SENTRY_CHECK = """
import django
django.setup()
import sentry_sdk
from django.conf import settings
client = sentry_sdk.get_client()
options = client.options
print(client.is_active(), options["send_default_pii"], options["traces_sample_rate"],
      getattr(options["before_send"], "__module__", None), options["environment"])
"""


@pytest.mark.parametrize("dsn", ["", "http://public@127.0.0.1:9/1"])
def test_sentry_starts_only_with_a_dsn(production, dsn):  # noqa: F811
    if dsn:
        production["SENTRY_DSN"] = dsn
        production["SENTRY_ENVIRONMENT"] = "staging"
    result = subprocess.run(
        [sys.executable, "-c", SENTRY_CHECK],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    if dsn:
        assert result.stdout.split() == [
            "True",
            "False",
            "0.0",
            "threehours.core.sentry",
            "staging",
        ]
    else:
        assert result.stdout.split()[0] == "False"


def test_a_bad_sample_rate_stops_start_up(production):  # noqa: F811
    production["SENTRY_TRACES_SAMPLE_RATE"] = "lots"
    result = start(production, "DEBUG")
    assert result.returncode == 3
    assert "SENTRY_TRACES_SAMPLE_RATE must be a number" in result.stdout


def test_the_scrubber_masks_phones_and_id_numbers_everywhere():
    event = {
        "message": "no account for 13812345678 (ID 11010519491231002X)",
        "exception": {"values": [{"value": "phone +86 139-0000-0000? no: +8613900000000 failed"}]},
        "request": {
            "url": "https://example.org/api/v1/auth/sms",
            "query_string": "phone=15900001111",
            "data": {"phone": "15900001111", "id_number": "110105194912310021"},
            "cookies": {"sessionid": "abc"},
            "headers": {"X-Phone": "15900001111"},
        },
        "breadcrumbs": {"values": [{"message": "SELECT … 110105491231002"}]},
        "extra": {"numbers": ("13700000000", 42)},
    }

    out = scrub(event, {})
    text = repr(out)

    for secret in ("13812345678", "11010519491231002X", "8613900000000", "15900001111"):
        assert secret not in text
    assert "110105491231002" not in text
    assert "data" not in out["request"] and "cookies" not in out["request"]
    assert out["message"] == f"no account for {PHONE_MASK} (ID {ID_MASK})"
    assert out["extra"]["numbers"] == (PHONE_MASK, 42)


def test_the_scrubber_leaves_ordinary_numbers():
    assert (
        scrub_text("activity 1234, 12.5 h, order 20261207")
        == "activity 1234, 12.5 h, order 20261207"
    )


COUNT_ONE = """
import django
django.setup()
from threehours.core import metrics
metrics.checkin_counted()
metrics.REQUESTS.labels("api/v1/x", "GET", "200").inc()
"""

READ = """
import django
django.setup()
from django.test import Client
answer = Client().get("/metrics", headers={"Authorization": "Bearer t0ken"})
print(answer.status_code)
print(answer.content.decode())
"""


def test_the_processes_of_a_machine_are_summed(production, tmp_path):  # noqa: F811
    """Two processes (two web workers, or a worker) count; a third answers /metrics."""
    production["THREEHOURS_METRICS_TOKEN"] = "t0ken"
    production["THREEHOURS_METRICS_DIR"] = str(tmp_path / "metrics")
    production["THREEHOURS_SSL_REDIRECT"] = "false"
    production["THREEHOURS_ALLOWED_HOSTS"] = "testserver"

    def run(code):
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=production,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    run(COUNT_ONE)
    run(COUNT_ONE)
    status, _, body = run(READ).partition("\n")

    assert status == "200"
    assert "threehours_checkins_total 2.0" in body
    assert 'threehours_http_requests_total{method="GET",route="api/v1/x",status="200"} 2.0' in body
