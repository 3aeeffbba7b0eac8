"""Dates read in the page's language (issue #13 §5): the list card and the activity page name a
format (core/formats/<locale>/formats.py) instead of spelling a Chinese one out."""

import datetime as dt
import html

import pytest
import time_machine

from threehours.core.timeutil import local_tz
from threehours.orgs.tests.factories import approved_org
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def december_activity(operator):
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=local_tz())):
        org = approved_org(operator=operator)
        return published_activity(
            org, title="冬日助老探访", start_date="2026-12-08", end_date="2026-12-09"
        )


def _page(client, path: str, language: str) -> str:
    client.cookies["django_language"] = language
    return html.unescape(client.get(path).content.decode())


@time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=local_tz()))
def test_the_list_card_shows_month_and_day_in_the_page_language(client, december_activity):
    chinese = _page(client, "/activities/", "zh-hans")
    assert "12月8日–12月9日" in chinese

    english = _page(client, "/activities/", "en")
    assert "Dec 8–Dec 9" in english
    assert "12月8日" not in english


@time_machine.travel(dt.datetime(2026, 11, 21, 10, tzinfo=local_tz()))
def test_the_activity_page_shows_full_dates_in_the_page_language(client, december_activity):
    path = f"/activities/{december_activity.pk}/"
    chinese = _page(client, path, "zh-hans")
    assert "2026-12-08 – 2026-12-09" in chinese

    english = _page(client, path, "en")
    assert "Dec 8, 2026 – Dec 9, 2026" in english
    assert "2026-12-08" not in english
