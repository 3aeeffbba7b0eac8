"""The OpenAPI document lists the operations of docs/api.md, and no generated request, anonymous or
logged in, makes the API answer with a server error."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings

from config.wsgi import application

ACCOUNT_PATHS = {
    "/api/v1/auth/sms/send": {"post"},
    "/api/v1/auth/sms/login": {"post"},
    "/api/v1/auth/email/login": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/me/real-name": {"put"},
    "/api/v1/me/phone/send": {"post"},
    "/api/v1/me/phone/bind": {"post"},
    "/api/v1/policies": {"get"},
    "/api/v1/me/consents": {"get", "post"},
    "/api/v1/me/consents/{kind}": {"delete"},
}

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
    "/api/v1/attributes",
]


@pytest.mark.django_db
def test_openapi_document_lists_the_account_operations(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, methods in ACCOUNT_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    assert {"/api/v1/me/messages", *ORG_PATHS} <= set(paths)


@pytest.mark.django_db
def test_api_docs_page_answers(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert "openapi.json" in response.content.decode()


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(transactional_db):
    """A logged-in volunteer's token. The test is transactional: the WSGI application closes
    the database connection at the end of each request, which would break the usual per-test
    transaction."""
    from threehours.accounts.models import User
    from threehours.accounts.services import token_issue

    user = User.objects.create(phone="13900000001", phone_bound_at=timezone.now())
    return {"Authorization": f"Bearer {token_issue(user=user)}"}


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    # The token fixture is shared by every example of one operation, which is what we want.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_generated_request_makes_a_server_error(case, bearer, regions):
    for headers in (None, bearer):
        response = case.call(headers=headers)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} ({'logged in' if headers else 'anonymous'}) "
            f"-> {response.status_code}: {response.text[:500]}"
        )
