"""Issue #15 §5 in Chromium on a phone: a volunteer with enough hours redeems an incentive and
finds the code under 我的 → 我的权益; the operator sees the redemption (phone masked)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from threehours.rewards.models import Redemption

from .factories import active_incentive, give_hours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _cookie(user, live_server) -> dict:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def test_a_volunteer_redeems_and_sees_the_code(
    browser, live_server, org, operator, volunteer, screenshot_dir
):
    give_hours(org, volunteer, "12.0")
    insurance = active_incentive(
        actor=operator,
        title="志愿者意外险（一年）",
        partner="平安保险",
        hours_required=Decimal("10.0"),
        description="<p>服务满 10 小时即可领取一年期志愿者意外险。</p>",
        codes=20,
    )
    active_incentive(
        actor=operator,
        title="机场贵宾通道",
        partner="首都机场",
        hours_required=Decimal("50.0"),
        codes=5,
    )
    phone = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
    )
    phone.add_cookies([_cookie(volunteer, live_server)])
    page = phone.new_page()
    page.goto("/me/")
    page.get_by_test_id("my-benefits-link").click()
    expect(page.get_by_text("你还没有兑换过权益。")).to_be_visible()
    page.get_by_test_id("catalogue-link").click()
    card = page.locator(f"[data-testid=incentive][data-id='{insurance.pk}']")
    expect(page.get_by_test_id("missing")).to_contain_text("38")  # 50 - 12
    card.get_by_test_id("redeem").click()
    expect(card.get_by_test_id("redeem-confirm")).to_be_visible()
    page.screenshot(path=screenshot_dir / "rewards-catalogue.png", full_page=True)
    card.get_by_test_id("redeem-confirm").click()
    expect(page).to_have_url(f"{live_server.url}/me/benefits/")
    code = Redemption.objects.get(volunteer=volunteer).code.code
    expect(page.get_by_test_id("code")).to_have_text(code)
    page.screenshot(path=screenshot_dir / "rewards-mine.png", full_page=True)

    laptop = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    laptop.add_cookies([_cookie(operator, live_server)])
    ops = laptop.new_page()
    ops.goto("/ops/incentives/")
    ops.get_by_role("link", name="志愿者意外险（一年）").click()
    expect(ops.get_by_test_id("redemption-row")).to_have_count(1)
    expect(ops.get_by_test_id("redemption-row")).to_contain_text(volunteer.phone_masked)
    expect(ops.get_by_test_id("stock-left")).to_have_text("19 / 20")
    ops.screenshot(path=screenshot_dir / "rewards-ops.png", full_page=True)
