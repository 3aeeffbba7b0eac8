"""axe-core in Chromium over the family pages (issue #14) at a phone's width, in both languages:
no serious or critical violation, no sideways scrolling."""

from __future__ import annotations

import pytest

from threehours.core.tests.test_browser_accessibility import LANGUAGES, SERIOUS, _axe
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

from .factories import child_of, guardian

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_family_pages_have_no_serious_or_critical_axe_violations(
    browser, live_server, org, language
):
    activity = published_activity(
        org, title="亲子绘本共读", type="parent_child", questions=[], child_age_max=12
    )
    mum = guardian("13900000071", name="王妈妈")
    mum.language = language
    mum.save(update_fields=["language"])
    kid = child_of(mum, name="王小宝", age=9)
    child_of(mum, name="王大宝", age=15)  # outside the age range: offered disabled
    signup_services.signup_create(
        activity=activity, volunteer=mum, children=[kid.pk], commitment_accepted=True
    )
    org.applicant.language = language
    org.applicant.save(update_fields=["language"])
    pages = [
        (mum, "my children", "/me/children/"),
        (mum, "add a child", "/me/children/add/"),
        (mum, "a child", f"/me/children/{kid.pk}/"),
        (mum, "family hours", "/me/family/hours/"),
        (mum, "a child's hours", f"/me/children/{kid.pk}/hours/"),
        (mum, "activity page with the family box", f"/activities/{activity.pk}/"),
        (
            org.applicant,
            "console registrants with a family",
            f"/org/{org.pk}/activities/{activity.pk}/registrants/",
        ),
    ]
    serious = []
    for user, name, path in pages:
        context = browser.new_context(
            viewport={"width": 375, "height": 812}, is_mobile=True, base_url=live_server.url
        )
        context.add_cookies(
            [
                {"name": "django_language", "value": language, "url": live_server.url},
                _session_cookie(user, live_server),
            ]
        )
        page = context.new_page()
        response = page.goto(path)
        assert response.status == 200, (name, path)
        assert page.evaluate("document.documentElement.lang") == language, (name, path)
        if user == mum:
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, name
        serious += [
            f"{name}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
            for v in _axe(page)
            if v["impact"] in SERIOUS
        ]
        context.close()
    assert not serious, "\n".join(serious)
