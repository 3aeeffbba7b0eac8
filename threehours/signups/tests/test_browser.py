"""Issue #5 acceptance journeys in Chromium: a volunteer without a phone binds one, registers,
sees the activity under "upcoming" and cancels; staff reject a registrant with a reason and
the volunteer's inbox shows it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.signups import services
from threehours.signups.models import Signup

from .factories import published_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser, live_server):
    return browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
    )


def test_volunteer_binds_a_phone_registers_and_cancels(
    browser, live_server, settings, org, test_phones, screenshot_dir
):
    settings.SITE_URL = live_server.url
    activity = published_activity(
        org,
        title="周六社区图书角整理",
        questions=[
            {"text": "T恤尺码", "kind": "choice", "choices": ["S", "M", "L"], "required": True}
        ],
    )
    User.objects.create_user(
        email="mum@example.cn", password="Family-Pass-2026", email_verified_at=timezone.now()
    )
    context = _phone(browser, live_server)
    page = context.new_page()
    page.goto(f"/org/login/?next=/activities/{activity.pk}/")
    page.get_by_label("电子邮箱").fill("mum@example.cn")
    page.get_by_label("密码").fill("Family-Pass-2026")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()
    page.goto(f"/activities/{activity.pk}/")
    register = page.get_by_test_id("register")
    expect(register).to_contain_text("未绑定手机号")
    page.screenshot(path=screenshot_dir / "volunteer-register-no-phone.png", full_page=True)

    register.get_by_role("link", name="绑定手机号").click()
    page.get_by_label("手机号").fill("13800000001")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码").fill("123456")
    page.get_by_role("button", name="绑定", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/activities/{activity.pk}/$"))

    # a required question is marked for the browser too (the server checks it either way)
    assert page.get_by_label("M", exact=True).get_attribute("required") is not None
    page.get_by_label("M", exact=True).check()
    # Asked once: the organiser receives the registration data (issue #16 §1).
    expect(page.locator("#consent-share_with_org")).to_contain_text(org.name)
    page.locator("input[name=share_consent]").check()
    page.screenshot(path=screenshot_dir / "volunteer-register-questions.png", full_page=True)
    page.get_by_role("button", name="报名", exact=True).click()
    expect(page.get_by_test_id("registration-status")).to_contain_text("你已报名")
    expect(page.locator(".facts-h5")).to_contain_text(f"剩余 {activity.places - 1}")

    page.goto("/me/")
    page.get_by_test_id("my-activities-link").click()
    card = page.get_by_test_id("my-activity")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("周六社区图书角整理")
    expect(card).to_contain_text(activity.contact_phone)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "volunteer-my-activities.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_test_id("cancel").click()
    expect(page.get_by_test_id("my-activity")).to_have_count(0)
    assert Signup.objects.get().status == "cancelled"
    activity.refresh_from_db()
    assert activity.places_taken == 0
    context.close()


def test_staff_reject_a_registrant_and_the_volunteer_reads_why(
    browser, live_server, settings, org, volunteer, screenshot_dir
):
    settings.SITE_URL = live_server.url
    activity = published_activity(org, title="医院导诊志愿服务")
    Activity.objects.filter(pk=activity.pk).update(screening="review")
    activity.refresh_from_db()
    [question] = activity.questions.all()
    services.signup_create(
        activity=activity, volunteer=volunteer, answers={str(question.pk): "闵行"}
    )
    desk = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    page = desk.new_page()
    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill(org.applicant.email)
    page.get_by_label("密码").fill("Apply-Pass-2026")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()
    page.goto(f"/org/{org.pk}/activities/{activity.pk}/")
    page.get_by_test_id("registrants-link").click()
    row = page.get_by_test_id("registrant")
    expect(row).to_contain_text(volunteer.phone_masked)
    expect(row).to_contain_text("闵行")
    expect(row).to_contain_text("待审核")
    row.get_by_text("驳回").click()
    row.get_by_label("原因（志愿者可见）").fill("本次仅招募有导诊经验的志愿者")
    # The popover holds its reason box and button (they once spilled out to the right).
    box = row.get_by_test_id("decide-form").bounding_box()
    for part in (row.get_by_label("原因（志愿者可见）"), row.get_by_role("button", name="发送")):
        inner = part.bounding_box()
        assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"]
    page.screenshot(path=screenshot_dir / "org-registrants.png", full_page=True)
    row.get_by_role("button", name="发送").click()
    expect(page.get_by_test_id("registrant")).to_contain_text("未通过")
    desk.close()

    phone = _phone(browser, live_server)
    phone.add_cookies([_session_cookie(volunteer, live_server)])
    page = phone.new_page()
    page.goto("/me/inbox/")
    expect(page.locator("body")).to_contain_text("报名未通过")
    expect(page.locator("body")).to_contain_text("本次仅招募有导诊经验的志愿者")
    page.screenshot(path=screenshot_dir / "volunteer-inbox-rejected.png", full_page=True)
    phone.close()


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
