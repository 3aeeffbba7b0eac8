"""CORS on the JSON API (issue #17 §7; api/cors.py): listed origins only, same-origin when the
list is empty."""

from __future__ import annotations

import pytest
from django.test import override_settings

from conftest import ApiClient

pytestmark = pytest.mark.django_db

APP = "https://app.example.org"


def preflight(client: ApiClient, origin: str):
    return client.client.options(
        "/api/v1/activities",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_without_a_list_no_cors_header_is_sent():
    client = ApiClient()
    answer = client.client.get("/api/v1/activities", headers={"Origin": APP})
    assert answer.status_code == 200
    assert "Access-Control-Allow-Origin" not in answer
    assert "Access-Control-Allow-Origin" not in preflight(client, APP)


@override_settings(CORS_ORIGINS=[APP])
def test_a_listed_origin_is_echoed_and_its_preflight_answered():
    client = ApiClient()
    answer = client.client.get("/api/v1/activities", headers={"Origin": APP})
    first = preflight(client, APP)

    assert answer["Access-Control-Allow-Origin"] == APP
    assert "Origin" in answer["Vary"]
    assert "Access-Control-Allow-Credentials" not in answer
    assert "X-Request-ID" in answer["Access-Control-Expose-Headers"]
    assert first.status_code == 204
    assert first["Access-Control-Allow-Origin"] == APP
    assert "Authorization" in first["Access-Control-Allow-Headers"]
    assert "POST" in first["Access-Control-Allow-Methods"]


@override_settings(CORS_ORIGINS=[APP])
def test_an_origin_not_listed_gets_nothing_but_vary():
    client = ApiClient()
    evil = "https://evil.example.com"
    answer = client.client.get("/api/v1/activities", headers={"Origin": evil})
    first = preflight(client, evil)

    assert "Access-Control-Allow-Origin" not in answer
    assert "Origin" in answer["Vary"]
    assert first.status_code != 204
    assert "Access-Control-Allow-Origin" not in first
    # A prefix or a suffix of a listed origin is another origin.
    near = client.client.get("/api/v1/activities", headers={"Origin": APP + ".evil.com"})
    assert "Access-Control-Allow-Origin" not in near


@override_settings(CORS_ORIGINS=[APP], CORS_ALLOW_CREDENTIALS=True)
def test_credentials_only_when_configured():
    answer = ApiClient().client.get("/api/v1/activities", headers={"Origin": APP})
    assert answer["Access-Control-Allow-Credentials"] == "true"
