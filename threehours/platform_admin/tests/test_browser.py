"""The operator console in a real browser: log-in, layout, that non-operators stay out, and
the integrity report."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from threehours.hours.tests.factories import integrity_story

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_operator_logs_in_and_sees_the_statistics(
    browser, live_server, operator, volunteer, screenshot_dir, width
):
    context = browser.new_context(
        viewport={"width": width, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/ops/")
    expect(page).to_have_url(re.compile(r"/ops/login/"))
    page.get_by_label("电子邮箱").fill("ops@example.org")
    page.get_by_label("密码").fill("Operator-Pass-9")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/ops/$"))
    expect(page.locator(".stat").first).to_contain_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=screenshot_dir / f"ops-console-{width}.png", full_page=True)
    context.close()


def test_a_staff_account_that_is_not_an_operator_is_refused(browser, live_server, email_user):
    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.goto("/ops/login/")
    page.get_by_label("电子邮箱").fill("staff@example.org")
    page.get_by_label("密码").fill("Correct-Horse-9")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    page.goto("/ops/")
    expect(page).to_have_url(re.compile(r"/ops/login/"))
    context.close()


def test_operator_reads_the_integrity_report(
    browser, live_server, operator, regions, attributes, screenshot_dir
):
    story = integrity_story(operator=operator)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/ops/integrity/")
    page.get_by_label("电子邮箱").fill("ops@example.org")
    page.get_by_label("密码").fill("Operator-Pass-9")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/ops/integrity/$"))
    expect(page.get_by_role("heading", name="公益时诚信报告")).to_be_visible()
    rows = page.get_by_test_id("integrity-row")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("阳光志愿者协会")
    expect(rows.first.get_by_test_id("share-flag")).to_have_text("14.3 %")
    expect(rows.first.get_by_test_id("refusal-flag")).to_have_text("1")
    expect(page.get_by_test_id("flagged")).to_have_count(1)
    expect(page.get_by_test_id("integrity-total")).to_contain_text("22.5")
    page.screenshot(path=screenshot_dir / "ops-integrity.png", full_page=True)

    # one day before the activities: only the correction still waiting is left
    before = (story.day - dt.timedelta(days=1)).isoformat()
    page.get_by_label("从").fill(before)
    page.get_by_label("到").fill(before)
    page.get_by_role("button", name="查看").click()
    expect(rows).to_have_count(1)
    expect(page.get_by_test_id("flagged")).to_have_count(0)

    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    rows.first.get_by_role("link", name="阳光志愿者协会").click()
    expect(page).to_have_url(re.compile(rf"/ops/orgs/{story.sunshine.pk}/$"))
    context.close()
