"""Browser journeys of a family's records (issue #14 §4) on a phone: 家庭公益时, a child's
record, and a young adult taking over the record kept for them as 小宝."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from threehours.family.services import child_add
from threehours.family.tests.factories import child_of, guardian, id_number_born, years_ago
from threehours.hours.services import ledger_append
from threehours.signups.tests.factories import published_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).resolve().parents[2] / "testing" / "axe" / "axe.min.js").read_text()


@pytest.fixture
def phone_context(browser, live_server):
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
    )
    yield context
    context.close()


def _credit(person, activity, hours: str, *, entry_type: str = "credit", reason: str = ""):
    with transaction.atomic():
        ledger_append(
            volunteer=person,
            activity=activity,
            day=activity.start_date,
            hours=Decimal(hours),
            entry_type=entry_type,
            reason=reason,
        )


def _log_in(page, phone: str) -> None:
    page.goto("/login/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("验证码").fill("123456")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/me/$"))


def _fits(page) -> None:
    """Nothing spills over the phone's width, and axe-core finds no serious or critical
    violation (WCAG 2 A/AA, as core/tests/test_browser_accessibility.py)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.evaluate(AXE)
    result = page.evaluate(
        """() => axe.run(document, {
             runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
             resultTypes: ["violations"]})"""
    )
    serious = [v["id"] for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    assert not serious, (page.url, serious)


def test_a_guardian_reads_family_and_child_hours_and_a_young_adult_takes_over_the_record(
    phone_context, regions, attributes, operator, test_phones, screenshot_dir
):
    from threehours.orgs.tests.factories import approved_org

    org = approved_org(operator=operator)
    river = published_activity(org, title="亲子河道清洁", questions=[], places=50)
    books = published_activity(org, title="社区图书角整理", questions=[], places=50)
    number = id_number_born(years_ago(18))
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        parent = guardian("13800000001", name="王丽")
        grown = child_add(guardian=parent, name="王大宝", id_number=number, consent=True)
        _credit(grown, river, "3.0")
    first = child_of(parent, age=10, name="王小宝")
    child_of(parent, age=6, name="王小花")
    _credit(parent, river, "3.0")
    _credit(first, river, "2.0")
    _credit(first, books, "1.5")
    _credit(first, books, "-0.5", entry_type="correction", reason="提前半小时离开")

    # 王大宝 turned 18 and takes over the record with an own phone (a fresh account).
    page = phone_context.new_page()
    _log_in(page, "13800000002")
    page.screenshot(path=screenshot_dir / "family-me-claim-link.png", full_page=True)
    page.get_by_test_id("claim-link").click()
    expect(page.get_by_role("heading", name="领取你的公益记录")).to_be_visible()
    _fits(page)
    page.screenshot(path=screenshot_dir / "family-claim.png", full_page=True)
    page.get_by_label("你本人的身份证号").fill(id_number_born(years_ago(30)))
    page.get_by_label(re.compile("这是我本人的身份证号")).check()
    page.get_by_role("button", name="领取我的记录").click()
    expect(page.get_by_role("alert").first).to_contain_text("没有找到可以领取的记录")
    _fits(page)
    page.screenshot(path=screenshot_dir / "family-claim-error.png", full_page=True)
    page.get_by_label("你本人的身份证号").fill(number)
    page.get_by_label(re.compile("这是我本人的身份证号")).check()
    page.get_by_role("button", name="领取我的记录").click()
    expect(page).to_have_url(re.compile(r"/me/hours/$"))
    expect(page.get_by_test_id("hours-total")).to_have_text("3.0")
    expect(page.get_by_text("亲子河道清洁")).to_be_visible()
    page.context.clear_cookies()

    # The guardian: 家庭公益时 from 我的公益时, then one child's record, then the one handed over.
    _log_in(page, "13800000001")
    page.goto("/me/hours/")
    _fits(page)
    page.screenshot(path=screenshot_dir / "family-my-hours-link.png", full_page=True)
    page.get_by_test_id("family-hours-link").click()
    expect(page.get_by_test_id("family-total")).to_have_text("6.0")
    expect(page.get_by_test_id("family-child")).to_have_count(2)
    expect(page.get_by_test_id("family-former")).to_contain_text("王大宝")
    _fits(page)
    page.screenshot(path=screenshot_dir / "family-hours.png", full_page=True)

    page.get_by_test_id("family-child").filter(has_text="王小宝").click()
    expect(page.get_by_role("heading", name="王小宝的公益时")).to_be_visible()
    expect(page.get_by_test_id("hours-total")).to_have_text("3.0")
    expect(page.get_by_test_id("hours-entry")).to_have_count(3)
    _fits(page)
    page.screenshot(path=screenshot_dir / "family-child-hours.png", full_page=True)

    page.goto("/me/family/hours/")
    page.get_by_test_id("family-former").click()
    expect(page.get_by_test_id("handed-over")).to_contain_text("移交给本人")
    _fits(page)
    page.screenshot(path=screenshot_dir / "family-child-handed-over.png", full_page=True)
