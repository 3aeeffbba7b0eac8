"""Security headers: pages carry the Content-Security-Policy (no inline script runs); JSON
answers need none but are never sniffed as HTML."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_carry_the_policy(client):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_json_answers_carry_no_policy_and_are_not_sniffed(client):
    response = client.get("/api/v1/attributes")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
