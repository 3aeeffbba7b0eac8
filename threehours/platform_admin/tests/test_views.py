"""Operator console pages: 404, never a server error, for ids that cannot exist; the
integrity report for operators only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from threehours.core.timeutil import local_today
from threehours.hours.tests.factories import integrity_story


def test_an_organisation_id_beyond_64_bits_is_not_found(operator):
    client = Client()
    client.force_login(operator)
    assert client.get(f"/ops/orgs/{2**64}/files/1/").status_code == 404


# --- the integrity report (issue #12 §9) -------------------------------------------------------


@pytest.fixture
def story(operator, regions, attributes):
    return integrity_story(operator=operator)


def test_the_integrity_page_shows_each_organisation_with_its_flags(
    operator, story, django_assert_num_queries
):
    client = Client()
    client.force_login(operator)
    # the session, the operator, and the report's eight
    with django_assert_num_queries(10):
        page = client.get("/ops/integrity/", headers={"accept-language": "zh-hans"})
    assert page.status_code == 200
    html = page.content.decode()
    rows = [r for r in page.context["rows"]]
    assert [r.name for r in rows] == ["阳光志愿者协会", "晨光读书会", "河道守护队"]
    assert f'href="/ops/orgs/{story.sunshine.pk}/"' in html
    assert html.count('data-testid="flagged"') == 1
    assert 'data-testid="share-flag">14.3 %' in html
    assert 'data-testid="refusal-flag">1<' in html
    assert "公益时诚信" in html and "更正" in html
    assert page.context["total"].total_hours == Decimal("22.5")


def test_the_integrity_page_reads_the_period_it_is_given(operator, story):
    client = Client()
    client.force_login(operator)
    before = (story.day - dt.timedelta(days=1)).isoformat()
    page = client.get("/ops/integrity/", {"date_from": before, "date_to": before})
    assert [(r.name, r.pending, r.total_hours) for r in page.context["rows"]] == [
        ("阳光志愿者协会", 1, Decimal("0.0"))
    ]
    wrong = client.get("/ops/integrity/", {"date_from": "2026-12-02", "date_to": "2026-12-01"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert (wrong.context["date_from"], wrong.context["date_to"]) == (
        local_today() - dt.timedelta(days=29),
        local_today(),
    )


@pytest.mark.parametrize("who", ["staff", "volunteer", "anonymous"])
def test_the_integrity_page_is_for_operators_only(story, volunteer, who):
    client = Client()
    if who == "staff":
        client.force_login(story.sunshine.applicant)
    elif who == "volunteer":
        client.force_login(volunteer)
    page = client.get("/ops/integrity/")
    assert page.status_code == 302
    assert page["Location"].startswith("/ops/login/?next=/ops/integrity/")
