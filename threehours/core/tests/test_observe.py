"""Request ids, the access log and Prometheus metrics (issue #17 §6; core/observe.py,
core/metrics.py)."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from prometheus_client import REGISTRY

from threehours.accounts.models import Consent, User
from threehours.attendance import services as attendance_services
from threehours.attendance.errors import AlreadyCheckedIn
from threehours.core.observe import RequestIdFilter, request_id, request_id_from
from threehours.core.timeutil import local_tz
from threehours.orgs.tests.factories import approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db

METRICS = {"METRICS_ENABLED": True, "METRICS_TOKEN": "s3cret-token", "METRICS_DIR": ""}


@pytest.fixture
def org(operator, regions, attributes):
    return approved_org(operator=operator)


def sample(name: str, labels: dict | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


# --- request ids --------------------------------------------------------------------------------


def test_every_stack_answers_a_request_id(client, api):
    page = client.get("/")
    json_answer = api.get("activities")
    public = client.get("/verify/")

    ids = [r["X-Request-ID"] for r in (page, json_answer, public)]
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in ids)
    assert len(set(ids)) == 3


def test_the_proxy_id_is_kept_when_sane_and_replaced_when_not(client):
    kept = client.get("/", headers={"X-Request-ID": "nginx-4f2a.9_b:1"})
    odd = client.get("/", headers={"X-Request-ID": "bad id\n<script>"})
    long = client.get("/", headers={"X-Request-ID": "a" * 129})

    assert kept["X-Request-ID"] == "nginx-4f2a.9_b:1"
    assert odd["X-Request-ID"] != "bad id\n<script>" and len(odd["X-Request-ID"]) == 32
    assert long["X-Request-ID"] != "a" * 129


def test_log_records_carry_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"  # outside a request
    assert request_id() == "-"
    assert request_id_from("abc") == "abc"


def test_a_log_line_written_during_a_request_names_it(client, caplog):
    """The filter sits on the handler (LOGGING); here: a line logged by a view's code path."""
    from django.conf import settings

    assert settings.LOGGING["handlers"]["stderr"]["filters"] == ["request_id"]
    seen = []

    class Grab(logging.Handler):
        def emit(self, record):
            seen.append(request_id())

    handler = Grab()
    logging.getLogger("threehours.access").addHandler(handler)
    try:
        with override_settings(ACCESS_LOG=True):
            from conftest import SiteClient

            response = SiteClient().get("/", headers={"X-Request-ID": "req-12345"})
    finally:
        logging.getLogger("threehours.access").removeHandler(handler)
    assert seen == ["req-12345"] and response["X-Request-ID"] == "req-12345"


# --- access log -------------------------------------------------------------------------------


@override_settings(ACCESS_LOG=True, CLIENT_IP_HEADER="HTTP_X_FORWARDED_FOR")
def test_the_access_log_writes_one_line_per_request_without_the_query(caplog, volunteer):
    from conftest import SiteClient

    site = SiteClient()
    site.force_login(volunteer)
    with caplog.at_level(logging.INFO, logger="threehours.access"):
        response = site.get(
            "/activities/?code=123456&q=x",
            headers={"X-Request-ID": "r-1", "X-Forwarded-For": "203.0.113.9, 10.0.0.2"},
        )
    lines = [r for r in caplog.records if r.name == "threehours.access"]

    assert len(lines) == 1
    line = lines[0]
    assert line.method == "GET" and line.path == "/activities/" and line.status == 200
    assert "123456" not in line.getMessage() and "code" not in line.path
    assert line.route == "activities/" and line.user_id == volunteer.pk
    assert line.bytes == len(response.content) and line.duration_ms >= 0
    assert line.remote_addr == "10.0.0.2"  # the last hop: the one our proxy added
    assert line.request_id == "r-1"


def test_the_access_log_is_off_when_the_setting_is(client, caplog):
    with caplog.at_level(logging.INFO, logger="threehours.access"):
        client.get("/")
    assert not [r for r in caplog.records if r.name == "threehours.access"]


def test_the_json_formatter_writes_the_fields():
    from django.conf import settings
    from pythonjsonlogger.json import JsonFormatter

    spec = settings.LOGGING["formatters"]["json"]
    formatter = JsonFormatter(spec["fmt"], rename_fields=spec["rename_fields"])
    record = logging.LogRecord("threehours.access", logging.INFO, __file__, 1, "GET /", None, None)
    record.status = 200
    RequestIdFilter().filter(record)
    out = json.loads(formatter.format(record))
    assert (
        out["request_id"] == "-" and out["status"] == 200 and out["logger"] == "threehours.access"
    )


# --- metrics ----------------------------------------------------------------------------------


def test_metrics_are_not_found_without_a_token_configured(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@override_settings(**METRICS)
def test_metrics_need_the_token(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200
    assert b"threehours_http_requests_total" in ok.content
    assert b"threehours_jobs_pending" in ok.content


@override_settings(**METRICS)
def test_requests_are_counted_by_route_pattern_not_path(api):
    from conftest import ApiClient

    before = sample(
        "threehours_http_requests_total",
        {"route": "api/v1/activities/<activity_id>", "method": "GET", "status": "404"},
    )
    client = ApiClient()
    for number in (999001, 999002, 999003):
        client.get(f"activities/{number}")
    client.get("no/such/path/at/all")

    after = sample(
        "threehours_http_requests_total",
        {"route": "api/v1/activities/<activity_id>", "method": "GET", "status": "404"},
    )
    assert after - before == 3
    routes = {
        s.labels["route"]
        for metric in REGISTRY.collect()
        if metric.name == "threehours_http_requests"
        for s in metric.samples
    }
    assert not any("999" in route for route in routes)  # bounded: patterns only
    assert "unmatched" in routes
    assert (
        sample(
            "threehours_http_request_duration_seconds_count",
            {"route": "api/v1/activities/<activity_id>"},
        )
        >= 3
    )


@override_settings(**METRICS)
def test_registrations_and_checkins_are_counted_after_commit(org):
    user = User.objects.create(phone="13600000077", phone_bound_at=timezone.now())
    Consent.objects.create(user=user, kind="share_with_org", version=1)
    activity = published_activity(org, questions=[])
    registrations, checkins = (
        sample("threehours_registrations_total"),
        sample("threehours_checkins_total"),
    )

    signup_services.signup_create(activity=activity, volunteer=user)
    at = dt.datetime.combine(activity.start_date, dt.time(13, 2), tzinfo=local_tz())
    with time_machine.travel(at, tick=False):
        attendance_services.attendance_check_in(
            activity=activity, volunteer=user, staff=org.applicant
        )
        with pytest.raises(AlreadyCheckedIn):  # already checked in: not counted again
            attendance_services.attendance_check_in(
                activity=activity, volunteer=user, staff=org.applicant
            )

    assert sample("threehours_registrations_total") - registrations == 1
    assert sample("threehours_checkins_total") - checkins == 1


@override_settings(**METRICS)
def test_a_failing_job_is_counted():
    from huey.contrib.djhuey import HUEY
    from huey.signals import SIGNAL_ERROR

    class Task:
        name = "notifications.deliver"

    before = sample("threehours_job_failures_total", {"task": "notifications.deliver"})
    HUEY._signal.send(SIGNAL_ERROR, Task(), RuntimeError("boom"))
    assert sample("threehours_job_failures_total", {"task": "notifications.deliver"}) == before + 1


def test_the_multiprocess_directory_is_emptied(tmp_path):
    from threehours.core.metrics import metrics_dir_clean

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "counter_123.db").write_bytes(b"old")
    metrics_dir_clean(tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []


def test_a_job_queued_during_a_request_is_logged_with_its_id(caplog):
    from huey.contrib.djhuey import HUEY
    from huey.signals import SIGNAL_ENQUEUED

    from threehours.core.observe import request_id_reset, request_id_set

    class Task:
        name = "notifications.deliver"
        id = "job-1"

    with caplog.at_level(logging.INFO, logger="threehours.jobs"):
        HUEY._signal.send(SIGNAL_ENQUEUED, Task())  # outside a request: nothing
        token = request_id_set("req-777")
        try:
            HUEY._signal.send(SIGNAL_ENQUEUED, Task())
        finally:
            request_id_reset(token)
    lines = [r for r in caplog.records if r.name == "threehours.jobs"]
    assert len(lines) == 1
    assert lines[0].getMessage() == "job queued: notifications.deliver job-1"
    assert lines[0].request_id == "req-777"


@override_settings(**METRICS, SECURE_SSL_REDIRECT=True)
def test_metrics_are_scraped_over_plain_http_on_the_node():
    from conftest import SiteClient

    site = SiteClient()
    scrape = site.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    page = site.get("/")

    assert scrape.status_code == 200
    assert page.status_code == 301 and page["Location"].startswith("https://")
