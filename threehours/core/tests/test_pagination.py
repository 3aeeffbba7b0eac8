"""Keyset pagination: every row once, in order, ties broken by the primary key; bad limits and
forged cursors are `invalid_input`."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import time_machine

from threehours.core.errors import InvalidInput
from threehours.core.pagination import MAX_LIMIT, keyset_page
from threehours.notifications.models import Message

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
NEWEST_FIRST = ("-created_at", "-pk")
PARSERS = {"created_at": dt.datetime.fromisoformat}


def make_messages(user, minutes: list[int]) -> list[Message]:
    made = []
    for i, minute in enumerate(minutes):
        with time_machine.travel(T0 + dt.timedelta(minutes=minute), tick=False):
            made.append(Message.objects.create(recipient=user, title=str(i)))
    return made


def all_pages(queryset, *, order, limit) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        page = keyset_page(queryset, order=order, limit=limit, cursor=cursor, parsers=PARSERS)
        pages.append([m.pk for m in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not end"


def encoded(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_pages_cover_every_row_once_in_order(volunteer):
    # Several rows share a timestamp, so the primary key has to break the tie.
    made = make_messages(volunteer, [0, 1, 1, 1, 2, 3, 3, 4, 5, 5, 5])
    expected = [m.pk for m in sorted(made, key=lambda m: (m.created_at, m.pk), reverse=True)]

    pages = all_pages(Message.objects.all(), order=NEWEST_FIRST, limit=3)

    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [pk for page in pages for pk in page] == expected


def test_pages_in_ascending_order(volunteer):
    made = make_messages(volunteer, [3, 1, 1, 2, 0])
    expected = [m.pk for m in sorted(made, key=lambda m: (m.created_at, m.pk))]

    pages = all_pages(Message.objects.all(), order=("created_at", "pk"), limit=2)

    assert [pk for page in pages for pk in page] == expected


def test_a_full_last_page_has_no_next_cursor(volunteer):
    make_messages(volunteer, [0, 1, 2, 3])

    page = keyset_page(Message.objects.all(), order=NEWEST_FIRST, limit=4, cursor=None)

    assert len(page.items) == 4 and page.next_cursor is None


def test_pages_respect_the_filter_of_the_queryset(volunteer, outsider):
    mine = make_messages(volunteer, [0, 2, 4])
    make_messages(outsider, [1, 3, 5])

    pages = all_pages(Message.objects.filter(recipient=volunteer), order=NEWEST_FIRST, limit=1)

    assert pages == [[mine[2].pk], [mine[1].pk], [mine[0].pk]]


def test_a_row_added_while_paging_does_not_shift_later_pages(volunteer):
    made = make_messages(volunteer, [0, 1, 2, 3])
    first = keyset_page(Message.objects.all(), order=NEWEST_FIRST, limit=2, cursor=None)
    make_messages(volunteer, [10])  # newer than everything: belongs before page one

    second = keyset_page(
        Message.objects.all(),
        order=NEWEST_FIRST,
        limit=2,
        cursor=first.next_cursor,
        parsers=PARSERS,
    )

    assert [m.pk for m in second.items] == [made[1].pk, made[0].pk]


def test_the_cursor_is_url_safe(volunteer):
    make_messages(volunteer, list(range(5)))

    page = keyset_page(Message.objects.all(), order=NEWEST_FIRST, limit=2, cursor=None)

    assert page.next_cursor
    assert set(page.next_cursor) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1])
def test_a_limit_outside_1_to_100_is_invalid_input(db, limit):
    with pytest.raises(InvalidInput) as refused:
        keyset_page(Message.objects.all(), order=NEWEST_FIRST, limit=limit, cursor=None)

    assert refused.value.code == "invalid_input"
    assert set(refused.value.fields) == {"limit"}


@pytest.mark.parametrize("limit", [1, MAX_LIMIT])
def test_limits_at_the_bounds_are_accepted(volunteer, limit):
    make_messages(volunteer, [0, 1])

    page = keyset_page(Message.objects.all(), order=NEWEST_FIRST, limit=limit, cursor=None)

    assert len(page.items) == min(limit, 2)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("@@@", id="not-base64"),
        pytest.param("%%%", id="not-base64-either"),
        pytest.param(encoded("a string"), id="not-a-list"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00"]), id="one-value-short"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", 1, 2]), id="one-value-too-many"),
        pytest.param(encoded(["not a time", 1]), id="not-a-time"),
        pytest.param(encoded([12, 1]), id="number-for-time"),
        pytest.param(encoded([None, 1]), id="null-time"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", "one"]), id="text-pk"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", None]), id="null-pk"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", {"pk": 1}]), id="object-pk"),
        pytest.param(encoded(["2026-11-25T02:00:00+00:00", 2**63]), id="pk-out-of-range"),
        pytest.param(base64.urlsafe_b64encode(b"\xff\xfe").decode(), id="not-utf8"),
    ],
)
def test_a_forged_cursor_is_invalid_input(volunteer, cursor):
    make_messages(volunteer, [0, 1, 2])

    with pytest.raises(InvalidInput) as refused:
        keyset_page(
            Message.objects.all(), order=NEWEST_FIRST, limit=2, cursor=cursor, parsers=PARSERS
        )

    assert refused.value.code == "invalid_input"
    assert set(refused.value.fields) == {"cursor"}
