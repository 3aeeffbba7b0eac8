"""Issue #16 §6 acceptance in Chromium: an operator finds a volunteer, disables them (their
session stops working) and enables them again; takes an activity down (it leaves discovery,
the registrant finds the reason in their inbox) and restores it; reads the statistics page
with its charts (screenshot docs/screenshots/ops-stats.png)."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from threehours.core.timeutil import local_tz
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.reporting import stats
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import attended, published_activity, volunteers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(user, live_server) -> dict:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _context(browser, live_server, user, width=1280):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    context.add_cookies([_session_cookie(user, live_server)])
    return context


def test_operator_disables_and_enables_a_volunteer_and_takes_an_activity_down(
    browser, live_server, operator, volunteer, regions, attributes, screenshot_dir
):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[], title="河边捡垃圾")
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    ops = _context(browser, live_server, operator).new_page()
    phone = _context(browser, live_server, volunteer, width=390).new_page()
    phone.goto("/me/")
    expect(phone).to_have_url(re.compile(r"/me/$"))

    # find by the last 4 digits; the phone is masked
    ops.goto("/ops/users/")
    ops.get_by_label("手机号（完整或后 4 位）、邮箱或姓名").fill("0001")
    ops.get_by_role("button", name="查找").click()
    row = ops.get_by_test_id("user-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("139****0001")
    row.get_by_role("link").click()
    expect(ops.get_by_test_id("user-facts")).to_contain_text("正常")
    expect(ops.get_by_test_id("user-registrations")).to_contain_text("河边捡垃圾")

    ops.get_by_label("停用理由").fill("冒用他人身份报名")
    ops.get_by_role("button", name="停用账号").click()
    expect(ops.get_by_test_id("user-facts")).to_contain_text("已停用")
    expect(ops.get_by_test_id("user-facts")).to_contain_text("冒用他人身份报名")
    ops.screenshot(path=screenshot_dir / "ops-user-disabled.png", full_page=True)
    phone.goto("/me/")
    expect(phone).to_have_url(re.compile(r"/login/"))  # the session no longer works

    ops.get_by_label("恢复理由").fill("核实为本人")
    ops.get_by_role("button", name="恢复账号").click()
    expect(ops.get_by_test_id("user-facts")).to_contain_text("正常")

    # take the activity down: gone from discovery, the registrant is told why
    ops.goto("/ops/activities/?q=捡垃圾")
    ops.get_by_label("理由（将发送给报名者和组织）").fill("活动信息不实")
    ops.get_by_role("button", name="下架").click()
    expect(ops.get_by_test_id("activity-state")).to_contain_text("已下架")
    ops.screenshot(path=screenshot_dir / "ops-activity-taken-down.png", full_page=True)
    phone = _context(browser, live_server, volunteer, width=390).new_page()
    phone.goto("/activities/")
    expect(phone.get_by_text("河边捡垃圾")).to_have_count(0)
    assert phone.goto(f"/activities/{activity.pk}/").status == 404
    phone.goto("/me/inbox/")
    expect(phone.get_by_text("活动信息不实").first).to_be_visible()

    ops.get_by_label("恢复理由").fill("已核实无误")
    ops.get_by_role("button", name="恢复").click()
    expect(ops.get_by_test_id("activity-state")).to_contain_text("已发布")
    phone.goto("/activities/")
    expect(phone.get_by_text("河边捡垃圾").first).to_be_visible()


def _six_months_of_service(operator):
    """Real activities, registrations and credited hours over six months (time moved back)."""
    shanghai = approved_org(operator=operator)
    beijing = approved_org(
        operator=operator,
        user=applicant("bj@ngo.example.cn"),
        name="北京绿色环保社",
        province="11",
        city="1101",
        district="110101",
    )
    people = volunteers(12)
    today = timezone.now().astimezone(local_tz()).date()
    for months_back in range(5, -1, -1):
        moment = dt.datetime.combine(
            today - dt.timedelta(days=30 * months_back + 12), dt.time(10), tzinfo=local_tz()
        )
        with time_machine.travel(moment, tick=False):
            for n, (org, kind) in enumerate(((shanghai, "team"), (beijing, "other"))):
                activity = published_activity(org, questions=[], type=kind, places=20)
                for person in people[: 3 + (5 - months_back) + n * 2]:
                    attended(org, activity, person)


def test_the_statistics_page_with_charts(
    browser, live_server, operator, regions, attributes, screenshot_dir
):
    _six_months_of_service(operator)
    stats.stats_rollup_all()
    ops = _context(browser, live_server, operator).new_page()
    ops.goto("/ops/stats/")
    expect(ops.get_by_role("heading", name="平台统计")).to_be_visible()
    expect(ops.get_by_test_id("chart")).to_have_count(8)
    expect(ops.locator("svg.chart").first).to_contain_text("新增志愿者")
    expect(ops.get_by_test_id("stats-table")).to_contain_text("月份")
    expect(ops.get_by_test_id("stats-top")).to_contain_text("北京绿色环保社")
    assert ops.evaluate("document.documentElement.scrollWidth") <= 1280
    ops.screenshot(path=screenshot_dir / "ops-stats.png", full_page=True)

    ops.get_by_label("分组").select_option("province")
    ops.get_by_role("button", name="查看").click()
    expect(ops.get_by_test_id("stats-table")).to_contain_text("北京市")
    expect(ops.get_by_test_id("stats-table")).to_contain_text("上海市")
    ops.screenshot(path=screenshot_dir / "ops-stats-province.png", full_page=True)
    with ops.expect_download() as download:
        ops.get_by_test_id("stats-csv").click()
    assert download.value.suggested_filename.startswith("statistics-province-")
