"""config.wsgi: the API through its own short middleware stack, pages through the full one —
called as the server calls it (WSGI environ in, status and headers out)."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.conf import settings

from config.wsgi import api_application, application

# Transactional: the WSGI application closes old connections at each request start (as in
# production), which would close the connection inside a test transaction on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)


def _call(method: str, path: str, body: bytes = b"", **headers) -> tuple[int, dict, bytes]:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "HTTP_HOST": "testserver",
    }
    environ.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    started: list = []
    chunks = application(environ, lambda status, head, exc=None: started.append((status, head)))
    body_out = b"".join(chunks)
    status, head = started[0]
    return int(status.split()[0]), {k.lower(): v for k, v in head}, body_out


def test_the_api_has_its_own_stack_without_sessions_csrf_or_page_headers():
    assert len(settings.API_MIDDLEWARE) < len(settings.MIDDLEWARE)
    assert api_application._middleware_chain is not None
    status, headers, body = _call("GET", "/api/v1/attributes")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert headers["x-content-type-options"] == "nosniff"
    assert "set-cookie" not in headers  # no session, no CSRF cookie
    assert "x-frame-options" not in headers and "content-security-policy" not in headers
    assert set(json.loads(body)) >= {"types", "forms", "fields"}


def test_api_messages_follow_accept_language():
    status, _, body = _call("GET", "/api/v1/me", **{"Accept-Language": "en"})
    assert status == 401
    assert json.loads(body)["message"].startswith("Please log in")
    status, _, body = _call("GET", "/api/v1/me", **{"Accept-Language": "zh-hans"})
    assert status == 401 and "Please log in" not in json.loads(body)["message"]


def test_a_bearer_token_post_needs_no_csrf_token(volunteer):
    from threehours.accounts.services import token_issue

    token = token_issue(user=volunteer, name="phone")
    status, _, body = _call("GET", "/api/v1/me", Authorization=f"Bearer {token}")
    assert status == 200 and json.loads(body)["id"] == volunteer.pk
    status, _, _ = _call("POST", "/api/v1/auth/logout", b"{}", Authorization=f"Bearer {token}")
    assert status in {200, 204}
    status, _, _ = _call("GET", "/api/v1/me", Authorization=f"Bearer {token}")
    assert status == 401, "the token was revoked by the log-out"


def test_pages_keep_the_full_stack():
    status, headers, _ = _call("GET", "/login/", Accept="text/html")
    assert status == 200
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert "csrftoken" in headers.get("set-cookie", "")


def test_the_test_suites_api_client_uses_the_api_stack(api):
    response = api.get("attributes")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response  # the full stack would add it
    assert response["X-Content-Type-Options"] == "nosniff"
