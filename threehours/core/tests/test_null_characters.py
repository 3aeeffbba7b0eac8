"""A NUL character (U+0000) in a query or a form never reaches a view: PostgreSQL cannot compare
or store one (the discovery filters answered 500 for `?city=%00`, the schema fuzz found the same on
the API's e-mail log-in). Pages answer 400 in the request's language; the API's own answer is
pinned in api/tests/test_errors.py."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/activities/?q=%00",
        "/activities/?city=%00",
        "/activities/?type=%00",
        "/activities/?date_from=2026-12-01%00",
        "/?q=a%00b",
    ],
)
def test_a_nul_in_a_pages_query_is_a_400(client, regions, attributes, path):
    response = client.get(path, headers={"accept-language": "zh-hans"})
    assert response.status_code == 400
    assert response.content.decode() == "不允许使用空字符。"


def test_a_nul_in_a_posted_form_is_a_400_and_nothing_is_sent(client, sms_outbox):
    response = client.post("/login/", {"agree": "on", "phone": "1380000\x000001"})
    assert response.status_code == 400
    assert sms_outbox == []


def test_a_query_without_one_reaches_the_page(client, regions, attributes):
    assert client.get("/activities/?q=%E5%85%AC%E7%9B%8A").status_code == 200
