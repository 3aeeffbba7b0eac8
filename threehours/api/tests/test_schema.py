"""The OpenAPI schema lists the API.md operations, and no generated request makes a 5xx."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from config.wsgi import application

ACCOUNT_PATHS = [
    "/api/v1/auth/sms/send",
    "/api/v1/auth/sms/login",
    "/api/v1/auth/email/login",
    "/api/v1/auth/logout",
    "/api/v1/me",
    "/api/v1/me/real-name",
    "/api/v1/me/phone/send",
    "/api/v1/me/phone/bind",
]
ORG_PATHS = [
    "/api/v1/orgs/signup",
    "/api/v1/orgs/verify-email",
    "/api/v1/orgs",
    "/api/v1/orgs/{org_id}",
    "/api/v1/orgs/{org_id}/files",
    "/api/v1/orgs/{org_id}/files/{file_id}",
    "/api/v1/orgs/{org_id}/submit",
    "/api/v1/ops/orgs",
    "/api/v1/ops/orgs/{org_id}/approve",
    "/api/v1/ops/orgs/{org_id}/reject",
]


@pytest.mark.django_db
def test_schema_lists_the_contract_paths(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert set(ACCOUNT_PATHS + ORG_PATHS) <= set(schema["paths"])
    assert client.get("/api/v1/docs").status_code == 200


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_a_server_error(case, regions):
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, response.text[:500])
