"""/healthz: what a load balancer or monitor asks."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

REACHABLE_REDIS = "redis://127.0.0.1:6379/15"  # a real Redis runs beside the test suite
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_health_is_ok_with_the_database_and_no_redis(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not_configured"}
    assert "no-cache" in response["Cache-Control"]


def test_health_reports_a_reachable_redis(client, settings):
    settings.REDIS_URL = REACHABLE_REDIS

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_fails_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = UNREACHABLE_REDIS

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "redis": "unreachable"}


def test_health_answers_only_get(client):
    assert client.post("/healthz").status_code == 405
