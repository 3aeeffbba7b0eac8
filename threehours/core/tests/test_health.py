import pytest

pytestmark = pytest.mark.django_db


def test_health_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "not_configured"}


def test_health_reports_a_reachable_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    assert client.get("/healthz").json()["redis"] == "ok"


def test_health_fails_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error" and response.json()["redis"] == "unreachable"
