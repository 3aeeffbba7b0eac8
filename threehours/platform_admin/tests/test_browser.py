"""The operator console in a real browser: log-in, layout, and that non-operators stay out."""

import re

import pytest
from playwright.sync_api import expect

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
