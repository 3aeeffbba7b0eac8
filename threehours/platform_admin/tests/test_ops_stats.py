"""Issue #16 §6: the statistics page (charts over the roll-up, a table, CSV), operators only."""

import pytest
from django.test import Client

from threehours.orgs.tests.factories import approved_org
from threehours.reporting import stats
from threehours.signups.tests.factories import attended, published_activity, volunteers

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(operator):
    client = Client()
    client.force_login(operator)
    return client


@pytest.fixture
def seeded(operator, regions, attributes):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    for person in volunteers(3):
        attended(org, activity, person)
    stats.stats_rollup_all()
    return org, activity


def _period(activity):
    return {"start": f"{activity.start_date:%Y-%m}", "end": f"{activity.start_date:%Y-%m}"}


@pytest.mark.parametrize("group", ["month", "province", "city", "type"])
def test_the_statistics_page_draws_charts_and_a_table(ops, seeded, group):
    org, activity = seeded
    page = ops.get("/ops/stats/", {**_period(activity), "group": group})
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 6 and "<script" not in html.split("<main")[-1]
    assert 'style="' not in html.split('data-testid="stats-main"')[1]  # CSP: no inline styles
    rows = page.context["rows"]
    assert sum(r.hours for r in rows) == 3 and sum(r.registrations for r in rows) == 3
    assert org.name in html


def test_the_statistics_page_reads_only_the_rollup(ops, seeded, django_assert_max_num_queries):
    _org, activity = seeded
    # session + user, the month rows, the top organisations and their names
    with django_assert_max_num_queries(6):
        assert ops.get("/ops/stats/", {**_period(activity)}).status_code == 200


def test_the_default_period_and_bad_months(ops, seeded):
    page = ops.get("/ops/stats/", {"start": "nonsense", "end": "2026-13", "group": "nope"})
    assert page.status_code == 200 and len(page.context["rows"]) == 12


def test_the_csv_has_the_table(ops, seeded):
    _org, activity = seeded
    response = ops.get("/ops/stats.csv", {**_period(activity), "group": "month"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2
    assert lines[1].startswith(f"{activity.start_date:%Y-%m},") and lines[1].endswith(",3.0")


def test_statistics_are_for_operators_only(volunteer):
    client = Client()
    client.force_login(volunteer)
    assert client.get("/ops/stats/").status_code == 302
    assert client.get("/ops/stats.csv").status_code == 302
