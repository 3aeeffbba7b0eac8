"""An approved organisation creates an offline activity with a question, publishes it and
copies it, in the console (issue #4 acceptance, organisation half)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from threehours.core.timeutil import local_today
from threehours.orgs.tests.factories import approved_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_organisation_creates_publishes_and_copies_an_activity(
    browser, live_server, operator, regions, attributes, screenshot_dir
):
    org = approved_org(operator=operator)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill(org.applicant.email)
    page.get_by_label("密码").fill("Apply-Pass-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name="发布新活动").click()

    day = (local_today() + dt.timedelta(days=14)).isoformat()
    page.get_by_label("活动标题").fill("周末社区图书角整理")
    page.get_by_label("开始日期").fill(day)
    page.get_by_label("结束日期").fill(day)
    page.get_by_label("每日签到时间").fill("09:00")
    page.get_by_label("每日签退时间").fill("17:01")  # one minute too long
    page.get_by_label("名额").fill("15")
    page.get_by_label("活动类型").select_option(label="团队活动")
    page.get_by_label("公益活动形式").select_option(label="线下-社区服务")
    page.get_by_label("公益领域").select_option(label="教育助学")
    page.get_by_label("详细地址").fill("漕溪北路 88 号")
    page.get_by_label("省份").select_option(label="上海市")
    expect(page.locator("#id_city option", has_text="市辖区")).to_be_attached()
    page.get_by_label("城市").select_option(label="市辖区")
    expect(page.locator("#id_district option", has_text="徐汇区")).to_be_attached()
    page.get_by_label("区县").select_option(label="徐汇区")
    page.get_by_label("纬度（GCJ-02）").fill("31.188")
    page.get_by_label("经度（GCJ-02）").fill("121.437")
    page.get_by_label("问题 1").fill("T 恤尺码")
    page.get_by_label("选项").first.fill("S, M, L")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert").first).to_contain_text("8 小时")
    page.get_by_label("每日签退时间").fill("17:00")
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_test_id("activity-state")).to_contain_text("草稿")
    expect(page.get_by_text("每天最多 8.0 小时")).to_be_visible()
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_test_id("activity-state")).to_contain_text("已发布")
    expect(page.get_by_test_id("share-qr")).to_be_visible()
    page.screenshot(path=screenshot_dir / "org-activity.png", full_page=True)

    page.get_by_role("button", name="复制").click()
    expect(page).to_have_url(re.compile(r"/activities/\d+/edit/$"))
    expect(page.get_by_label("活动标题")).to_have_value("周末社区图书角整理")
    expect(page.get_by_label("问题 1")).to_have_value("T 恤尺码")
    assert org.activities.count() == 2
    assert org.activities.filter(state="draft").count() == 1
    context.close()
