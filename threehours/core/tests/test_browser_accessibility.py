"""axe-core in Chromium over the eight main pages in both languages (issue #13 §5): no serious
or critical violation (WCAG 2 A/AA rules, colour contrast included). The counts per page and
impact are printed (`pytest -s`) for the record."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from threehours.accounts.models import User
from threehours.orgs.tests.factories import approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).resolve().parents[2] / "testing" / "axe" / "axe.min.js").read_text()
SERIOUS = {"serious", "critical"}
LANGUAGES = ("zh-hans", "en")


def _session_cookie(user, live_server) -> dict:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _axe(page) -> list[dict]:
    """The page's violations as axe-core reports them (WCAG 2.0/2.1 A and AA rules)."""
    page.evaluate(AXE)  # page.evaluate is not subject to the page's CSP
    result = page.evaluate(
        """() => axe.run(document, {
             runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                             "best-practice"]},
             resultTypes: ["violations"]})"""
    )
    return result["violations"]


@pytest.fixture
def site(operator, regions, attributes):
    org = approved_org(operator=operator)
    activity = published_activity(org, title="社区助老探访", questions=[])
    (person,) = volunteers(1)
    signup_services.signup_create(activity=activity, volunteer=person)
    return {"org": org, "activity": activity, "volunteer": person}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_main_pages_have_no_serious_or_critical_axe_violations(
    browser, live_server, site, language, screenshot_dir
):
    org, activity, person = site["org"], site["activity"], site["volunteer"]
    User.objects.filter(pk__in=[person.pk, org.applicant_id]).update(language=language)
    cookie = {"name": "django_language", "value": language, "url": live_server.url}
    pages = [
        (None, "home", "/"),
        (None, "activity list", "/activities/"),
        (None, "activity page", f"/activities/{activity.pk}/"),
        (None, "login", "/login/"),
        (person, "my activities", "/me/activities/"),
        (person, "my hours", "/me/hours/"),
        (org.applicant, "console activity list", f"/org/{org.pk}/activities/"),
        (org.applicant, "console activity form", f"/org/{org.pk}/activities/new/"),
    ]
    report, serious = {}, []
    for user, name, path in pages:
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, base_url=live_server.url
        )
        context.add_cookies([cookie] + ([_session_cookie(user, live_server)] if user else []))
        page = context.new_page()
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.lang") == language, (name, path)
        if name == "console activity form":  # the editor's toolbar is built by its script
            page.locator(".ql-toolbar").wait_for()
        slug = name.replace(" ", "-")
        page.screenshot(path=screenshot_dir / f"{slug}-{language}.png", full_page=True)
        violations = _axe(page)
        report[name] = {
            impact: f"{count} ({', '.join(v['id'] for v in violations if v['impact'] == impact)})"
            for impact, count in Counter(v["impact"] for v in violations).items()
        }
        serious += [
            f"{name}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
            for v in violations
            if v["impact"] in SERIOUS
        ]
        context.close()
    print(f"\naxe-core {language}: " + json.dumps(report, ensure_ascii=False))
    (screenshot_dir / f"axe-{language}.json").write_text(json.dumps(report, ensure_ascii=False))
    assert not serious, "\n".join(serious)
