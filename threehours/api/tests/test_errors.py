"""What the API answers before any operation runs: an unknown path, a wrong method, a body
that is not JSON. Always the API's error format, in the request's language (docs/api.md)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language_after():
    """LocaleMiddleware leaves an English request's language active in this thread."""
    yield
    translation.deactivate()


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"code", "message"}
    return body


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/activities/1/nope/", "/api/"])
def test_an_unknown_path_is_a_json_404_in_chinese_by_default(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert _error(response) == {"code": "not_found", "message": "未找到。"}


def test_an_unknown_path_is_a_json_404_in_english_when_asked(api):
    from conftest import ApiClient

    response = ApiClient(language="en").get("/api/v1/no-such-thing")

    assert _error(response) == {"code": "not_found", "message": "Not found."}


def test_an_unknown_path_is_json_even_with_debugs_technical_404(api, settings):
    settings.DEBUG = True

    response = api.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_wrong_method_is_a_json_405_that_names_the_allowed_ones(api):
    from conftest import ApiClient

    zh = api.delete("/api/v1/activities")
    en = ApiClient(language="en").delete("/api/v1/activities")

    assert zh.status_code == en.status_code == 405
    assert zh["Allow"] == "GET"
    assert _error(zh) == {
        "code": "method_not_allowed",
        "message": "此地址不接受 DELETE 请求，可用的方法：GET。",
    }
    assert _error(en)["message"] == "This address does not take DELETE; it takes GET."


@pytest.mark.parametrize("body", [b"{bad", b'{"phone": "138', b"\xff\xfe"])
def test_a_body_that_is_not_json_is_invalid_json_in_the_requests_language(api, body):
    from conftest import ApiClient

    def send(client):
        return client.client.post(
            "/api/v1/auth/sms/send",
            data=body,
            content_type="application/json",
            headers=client._headers(),
        )

    zh, en = send(api), send(ApiClient(language="en"))

    assert zh.status_code == en.status_code == 400
    assert _error(zh) == {"code": "invalid_json", "message": "请求内容不是有效的 JSON。"}
    assert _error(en)["message"] == "The request body is not valid JSON."


def test_the_page_stack_answers_api_errors_the_same_way():
    """The ASGI app serves /api/ through the pages' middleware."""
    client = Client(headers={"Accept-Language": "en"})

    missing = client.get("/api/v1/no-such-thing")
    wrong = client.delete("/api/v1/activities")

    assert _error(missing) == {"code": "not_found", "message": "Not found."}
    assert wrong.status_code == 405 and _error(wrong)["code"] == "method_not_allowed"


def test_pages_keep_their_html_404():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_operations_own_404_is_unchanged(api):
    response = api.get("/api/v1/activities/999999")

    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_nul_character_anywhere_is_refused_before_any_operation_runs(api, volunteer):
    """PostgreSQL cannot store U+0000 and no field means one: found by the schema fuzz
    (an e-mail log-in with a NUL answered 500 on PostgreSQL)."""
    from threehours.accounts.models import User

    users = User.objects.count()
    answers = [
        api.client.post(
            "/api/v1/auth/email/login",
            data='{"email": "a\\u0000@example.cn", "password": "x"}',
            content_type="application/json",
        ),
        api.client.post(
            "/api/v1/auth/sms/send",
            data=b'{"phone": "1380000\x000001"}',
            content_type="application/json",
        ),
        api.client.get("/api/v1/activities?q=%E5%85%AC%00%E7%9B%8A"),
        api.client.post("/api/v1/auth/sms/send", data={"phone": "138\x0000000001"}),
    ]
    for response in answers:
        assert response.status_code == 400, response.content
        body = response.json()
        assert body["code"] == "invalid_input"
        assert body["fields"] in (
            {"body": ["不允许使用空字符。"]},
            {"query": ["不允许使用空字符。"]},
        )
    assert User.objects.count() == users
    # An escaped backslash before "u0000" is text, not a NUL, and a JPEG's NUL bytes in a file
    # part are not looked at: the operation answers as usual.
    ok = api.client.post(
        "/api/v1/auth/email/login",
        data='{"email": "a\\\\u0000@example.cn", "password": "x"}',
        content_type="application/json",
    )
    assert ok.status_code == 401
