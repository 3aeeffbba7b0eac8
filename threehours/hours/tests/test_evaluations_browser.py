"""Issue #15 §2 in Chromium: staff evaluate a credited volunteer in the console on a laptop,
and the volunteer sees the evaluation in 我的公益时 on a phone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from threehours.hours.models import ServiceEvaluation
from threehours.signups.tests.factories import attended, published_activity, volunteers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(user, live_server):
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def test_staff_evaluate_and_the_volunteer_sees_it(
    browser, live_server, org, volunteer, screenshot_dir
):
    activity = published_activity(org, title="社区助老探访", questions=[], places=10)
    volunteer.real_name = "李小红"
    volunteer.save(update_fields=["real_name"])
    attended(org, activity, volunteer)
    (other,) = volunteers(1, start=800)
    attended(org, activity, other)

    laptop = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    laptop.add_cookies([_session_cookie(org.applicant, live_server)])
    page = laptop.new_page()
    page.goto(f"/org/{org.pk}/activities/{activity.pk}/registrants/")
    page.get_by_test_id("evaluations-link").click()
    rows = page.get_by_test_id("evaluation-row")
    expect(rows).to_have_count(2)
    row = page.locator(f"[data-testid=evaluation-row][data-person='{volunteer.pk}']")
    row.get_by_label("优秀").check()
    row.locator("textarea[name=text]").fill("提前到场，陪老人聊天很有耐心。")
    row.get_by_role("button", name="保存").click()
    expect(row.get_by_test_id("current-evaluation")).to_contain_text("提前到场")
    page.screenshot(path=screenshot_dir / "evaluation-console.png", full_page=True)
    assert ServiceEvaluation.objects.get().grade == "excellent"

    phone = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
    )
    phone.add_cookies([_session_cookie(volunteer, live_server)])
    mine = phone.new_page()
    mine.goto("/me/hours/")
    evaluation = mine.get_by_test_id("evaluation")
    expect(evaluation).to_contain_text("优秀")
    expect(evaluation).to_contain_text("提前到场")
    evaluation.scroll_into_view_if_needed()
    mine.screenshot(path=screenshot_dir / "evaluation-my-hours.png", full_page=True)
    laptop.close()
    phone.close()
