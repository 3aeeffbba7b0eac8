"""和孩子一起报名 in Chromium on a phone (issue #14 §2): the guardian ticks two children (a third
is outside the age range), is asked to accept the commitment, registers the family in one
submit and sees it; the staff's registrant list shows the family as one group."""

import pytest
from playwright.sync_api import expect

from threehours.family.tests.factories import child_of, guardian
from threehours.signups.models import Signup

from .factories import published_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(user, live_server):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _phone(browser, live_server, user):
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
    )
    context.add_cookies([_session_cookie(user, live_server)])
    return context


def test_a_guardian_registers_two_children_and_staff_see_the_family(
    browser, live_server, settings, org, screenshot_dir
):
    settings.SITE_URL = live_server.url
    activity = published_activity(
        org,
        title="亲子绘本共读：图书馆志愿日",
        type="parent_child",
        questions=[],
        child_age_min=5,
        child_age_max=12,
        places=20,
    )
    parent = guardian("13900000051", name="王妈妈")
    child_of(parent, age=9, name="王小宝")
    child_of(parent, age=6, name="王二宝")
    child_of(parent, age=3, name="王三宝")
    phone = _phone(browser, live_server, parent)
    page = phone.new_page()
    page.goto(f"/activities/{activity.pk}/")
    box = page.get_by_test_id("family-box")
    expect(box).to_contain_text("和孩子一起报名")
    choices = box.get_by_test_id("child-choice")
    expect(choices).to_have_count(3)
    expect(choices.nth(0)).to_contain_text("王小宝")
    expect(choices.nth(0)).to_contain_text("9 岁")
    expect(choices.nth(2)).to_contain_text("不在年龄范围内")
    expect(choices.nth(2).locator("input")).to_be_disabled()
    choices.nth(0).locator("input").check()
    choices.nth(1).locator("input").check()
    page.get_by_test_id("commitment-accept").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "family-register.png", full_page=True)
    # Without the commitment nothing is written and the box says why; the ticks stay.
    page.get_by_test_id("commitment-accept").uncheck()
    page.get_by_role("button", name="报名", exact=True).click()
    expect(page.get_by_test_id("family-box")).to_contain_text("请阅读报名承诺，并勾选同意。")
    assert not Signup.objects.exists()
    expect(page.get_by_test_id("child-choice").nth(1).locator("input")).to_be_checked()
    page.screenshot(path=screenshot_dir / "family-register-error.png", full_page=True)
    page.get_by_test_id("commitment-accept").check()
    page.get_by_role("button", name="报名", exact=True).click()
    status = page.get_by_test_id("registration-status")
    expect(status).to_contain_text("你已报名")
    expect(page.get_by_test_id("registered-children")).to_contain_text("王小宝、王二宝")
    page.screenshot(path=screenshot_dir / "family-registered.png")
    signup = Signup.objects.get()
    assert signup.seats == 3 and signup.commitment_accepted_at is not None
    phone.close()

    staff = _phone(browser, live_server, org.applicant)
    page = staff.new_page()
    page.goto(f"/org/{org.pk}/activities/{activity.pk}/registrants/")
    row = page.get_by_test_id("registrant")
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("family-size")).to_contain_text("3 人")
    expect(row.get_by_test_id("family-children")).to_contain_text("王小宝 · 9 岁")
    expect(row.get_by_test_id("family-children")).to_contain_text("王二宝 · 6 岁")
    page.screenshot(path=screenshot_dir / "family-registrants.png", full_page=True)
    staff.close()
    desk = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    desk.add_cookies([_session_cookie(org.applicant, live_server)])
    page = desk.new_page()
    page.goto(f"/org/{org.pk}/activities/{activity.pk}/registrants/")
    expect(page.get_by_test_id("family-children")).to_contain_text("王二宝 · 6 岁")
    page.screenshot(path=screenshot_dir / "family-registrants-desktop.png", full_page=True)
    desk.close()
