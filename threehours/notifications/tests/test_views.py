"""The inbox page and the inbox API: only your own messages, paginated by cursor."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
import time_machine
from django.urls import reverse

from threehours.notifications.models import Message

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def messages_for(user, count: int) -> list[Message]:
    """`count` messages a minute apart, oldest first (titles 消息-00, 消息-01, …)."""
    made = []
    for i in range(count):
        with time_machine.travel(T0 + dt.timedelta(minutes=i), tick=False):
            made.append(Message.objects.create(recipient=user, title=f"消息-{i:02d}", body="正文"))
    return made


def shown_titles(html: str) -> list[str]:
    return re.findall(
        r'<li class="message[^"]*">\s*<div class="message-head"><strong>([^<]*)<', html
    )


def encoded(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- the inbox page -------------------------------------------------------------------------


def test_inbox_page_requires_login(client):
    response = client.get("/me/inbox/")

    assert response.status_code == 302
    assert response.url == f"{reverse('accounts:login')}?next=/me/inbox/"


def test_inbox_page_lists_only_my_messages(client, volunteer, outsider):
    Message.objects.create(recipient=volunteer, title="我的消息", body="给志愿者甲")
    Message.objects.create(recipient=outsider, title="别人的消息", body="给陌生人")
    client.force_login(volunteer)

    response = client.get("/me/inbox/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "我的消息" in html and "给志愿者甲" in html
    assert "别人的消息" not in html and "给陌生人" not in html


def test_inbox_page_shows_twenty_then_the_next_five_by_cursor(
    client, volunteer, outsider, django_assert_num_queries
):
    made = messages_for(volunteer, 25)
    messages_for(outsider, 3)
    client.force_login(volunteer)

    # session, user, one page of messages
    with django_assert_num_queries(3):
        first = client.get("/me/inbox/")

    newest_first = [m.title for m in reversed(made)]
    assert shown_titles(first.content.decode()) == newest_first[:20]
    # The "More" button asks for the next page.
    [cursor] = re.findall(r'hx-get="\?cursor=([^"]+)"', first.content.decode())

    second = client.get(f"/me/inbox/?cursor={cursor}", headers={"HX-Request": "true"})

    assert second.status_code == 200
    html = second.content.decode()
    assert shown_titles(html) == newest_first[20:]
    assert "<html" not in html  # htmx gets only the page's items, appended to the list
    assert "hx-get" not in html  # no "More" button after the last page


def test_inbox_page_with_a_broken_cursor_is_a_bad_request(client, volunteer):
    client.force_login(volunteer)

    response = client.get("/me/inbox/?cursor=@@@")

    assert response.status_code == 400


def test_marking_my_message_read(client, volunteer):
    [message] = messages_for(volunteer, 1)
    client.force_login(volunteer)

    response = client.post(f"/me/inbox/{message.pk}/read/")

    assert response.status_code == 302 and response.url == "/me/inbox/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_marking_another_users_message_read_is_not_found(client, volunteer, outsider):
    [theirs] = messages_for(outsider, 1)
    client.force_login(volunteer)

    response = client.post(f"/me/inbox/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(client, volunteer):
    [message] = messages_for(volunteer, 1)
    client.force_login(volunteer)

    assert client.get(f"/me/inbox/{message.pk}/read/").status_code == 405
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_all_read_touches_only_my_messages(client, volunteer, outsider):
    mine = messages_for(volunteer, 3)
    theirs = messages_for(outsider, 2)
    client.force_login(volunteer)

    response = client.post("/me/inbox/read-all/")

    assert response.status_code == 302
    assert all(m.read_at for m in Message.objects.filter(pk__in=[m.pk for m in mine]))
    assert not any(m.read_at for m in Message.objects.filter(pk__in=[m.pk for m in theirs]))


# --- the inbox API --------------------------------------------------------------------------


def test_inbox_api_needs_a_token(api):
    response = api.get("me/messages")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_inbox_api_returns_unread_count_items_and_cursor(
    api, volunteer, outsider, django_assert_num_queries
):
    made = messages_for(volunteer, 3)
    messages_for(outsider, 2)
    Message.objects.filter(pk=made[0].pk).update(read_at=T0)
    client = api.as_user(volunteer)
    client.get("me/messages")  # the first use stamps the token; later calls do not write

    # token + user, one page, the unread count
    with django_assert_num_queries(3):
        response = client.get("me/messages")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"unread", "items", "next_cursor"}
    assert body["unread"] == 2 and body["next_cursor"] is None
    assert [item["title"] for item in body["items"]] == ["消息-02", "消息-01", "消息-00"]
    assert body["items"][0] == {
        "id": made[2].pk,
        "title": "消息-02",
        "body": "正文",
        "link": "",
        "created_at": body["items"][0]["created_at"],
        "read": False,
    }
    assert dt.datetime.fromisoformat(body["items"][0]["created_at"]) == T0 + dt.timedelta(minutes=2)
    assert body["items"][2]["read"] is True


def test_inbox_api_pages_by_cursor(api, volunteer):
    made = messages_for(volunteer, 25)
    client = api.as_user(volunteer)

    first = client.get("me/messages").json()
    second = client.get("me/messages", data={"cursor": first["next_cursor"]}).json()

    newest_first = [m.pk for m in reversed(made)]
    assert [item["id"] for item in first["items"]] == newest_first[:20]
    assert [item["id"] for item in second["items"]] == newest_first[20:]
    assert second["next_cursor"] is None
    assert first["unread"] == second["unread"] == 25


@pytest.mark.parametrize("limit", ["0", "101", "-1"])
def test_inbox_api_refuses_a_limit_outside_1_to_100(api, volunteer, limit):
    response = api.as_user(volunteer).get("me/messages", data={"limit": limit})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "limit" in response.json()["fields"]


def test_inbox_api_accepts_the_largest_limit(api, volunteer):
    messages_for(volunteer, 2)

    response = api.as_user(volunteer).get("me/messages", data={"limit": "100"})

    assert response.status_code == 200 and len(response.json()["items"]) == 2


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("@@@", id="not-base64"),
        pytest.param("not-a-cursor", id="not-json"),
        pytest.param(encoded({"created_at": "2026-01-01"}), id="not-a-list"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00"]), id="one-value-short"),
        pytest.param(encoded(["yesterday", 1]), id="not-a-time"),
        pytest.param(encoded([None, 1]), id="null-time"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", "x"]), id="text-pk"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", None]), id="null-pk"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", [1]]), id="list-pk"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", 10**30]), id="pk-out-of-range"),
    ],
)
def test_inbox_api_answers_a_garbage_cursor_with_400(api, volunteer, cursor):
    messages_for(volunteer, 2)

    response = api.as_user(volunteer).get("me/messages", data={"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert "cursor" in response.json()["fields"]


def test_inbox_api_marks_my_message_read(api, volunteer):
    [message] = messages_for(volunteer, 1)
    client = api.as_user(volunteer)

    assert client.post(f"me/messages/{message.pk}/read").status_code == 204

    assert client.get("me/messages").json()["unread"] == 0


def test_inbox_api_does_not_reveal_another_users_message(api, volunteer, outsider):
    [theirs] = messages_for(outsider, 1)

    response = api.as_user(volunteer).post(f"me/messages/{theirs.pk}/read")

    assert response.status_code == 404 and response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api.as_user(volunteer).get("me/messages").json()["items"] == []
