"""Issue #14's acceptance journey in Chromium on a phone, through every family page: a guardian
adds two children, registers the family for a parent-child activity, checks in and then checks
the children in with one photo and the code, checks everyone out, and reads each child's hours
and the family's; the staff's board lists the family."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from threehours.attendance import codes
from threehours.attendance.tests.family import jpeg_bytes
from threehours.attendance.tests.test_browser import _phone, _session_cookie, _wgs84_of
from threehours.core.timeutil import local_tz
from threehours.family.selectors import children_of
from threehours.hours.services import hours_totals, ledger_verify
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity

from .factories import guardian, id_number_born, years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_family_from_adding_children_to_their_hours(
    browser, live_server, settings, org, screenshot_dir, tmp_path
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
    assert activity.family
    mum = guardian("13900000061", name="王妈妈")
    at_the_door = _wgs84_of(float(activity.lat), float(activity.lng))
    phone = _phone(browser, live_server, at_the_door)
    phone.add_cookies([_session_cookie(mum, live_server)])
    page = phone.new_page()

    # 1. 我的 → 我的小宝: two children, each with the guardian's consent.
    page.goto("/me/")
    page.get_by_role("link", name=re.compile("我的小宝")).click()
    for name, age in (("王小宝", 9), ("王二宝", 6)):
        page.get_by_role("link", name="添加小宝").click()
        page.get_by_label("小宝姓名").fill(name)
        page.get_by_label("小宝身份证号").fill(id_number_born(years_ago(age, days=-60)))
        page.get_by_label(re.compile("我是小宝的监护人")).check()
        page.get_by_role("button", name="添加").click()
    expect(page.get_by_test_id("child")).to_have_count(2)
    _no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "journey-family-children.png", full_page=True)
    kids = list(children_of(guardian=mum))

    # 2. 和孩子一起报名: both children and the commitment, one action.
    page.goto(f"/activities/{activity.pk}/")
    box = page.get_by_test_id("family-box")
    expect(box.get_by_test_id("child-choice")).to_have_count(2)
    for choice in box.get_by_test_id("child-choice").all():
        choice.locator("input").check()
    page.get_by_test_id("commitment-accept").check()
    _no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "journey-family-register.png", full_page=True)
    page.get_by_role("button", name="报名", exact=True).click()
    expect(page.get_by_test_id("registered-children")).to_contain_text("王小宝")
    signup = Signup.objects.get(activity=activity, volunteer=mum)
    assert signup.status == "confirmed" and signup.seats == 3
    assert set(signup.children.all()) == set(kids)

    # 3. On the day: the guardian checks in, then the children with one photo and the code.
    code = codes.day_code(activity.pk, activity.start_date)
    photo = tmp_path / "family.jpg"
    photo.write_bytes(jpeg_bytes((1200, 900), (60, 140, 200)))
    start = dt.datetime.combine(activity.start_date, dt.time(12, 55), tzinfo=local_tz())
    with time_machine.travel(start, tick=True) as clock:
        page.goto(f"/activities/{activity.pk}/checkin/")
        page.get_by_test_id("checkin-form").locator("input[name=code]").fill(code)
        page.get_by_test_id("checkin-button").click()
        children_form = page.get_by_test_id("children-checkin-form")
        expect(children_form).to_be_visible()
        children_form.get_by_test_id("family-photo").set_input_files(str(photo))
        children_form.locator("input[name=code]").fill(code)
        children_form.get_by_test_id("children-checkin-button").click()
        expect(page.locator("[data-testid=family-child][data-state=in]")).to_have_count(2)
        _no_sideways_scroll(page)
        page.screenshot(path=screenshot_dir / "journey-family-checked-in.png", full_page=True)

        # 4. The end of the day: the guardian checks out, then each child with the code.
        clock.move_to(start.replace(hour=14, minute=10))
        page.goto(f"/activities/{activity.pk}/checkin/")
        page.get_by_test_id("checkin-form").locator("input[name=code]").fill(code)
        page.get_by_test_id("checkin-button").click()
        out = page.get_by_test_id("children-checkout-form")
        expect(out).to_be_visible()
        out.locator("input[name=code]").fill(code)
        out.get_by_test_id("children-checkout-button").click()
        expect(page.locator("[data-testid=family-child][data-state=done]")).to_have_count(2)

        # 5. The staff's board shows the family: the guardian with both children under them.
        desk = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
        )
        desk.add_cookies([_session_cookie(org.applicant, live_server)])
        board = desk.new_page()
        board.goto(f"/org/{org.pk}/activities/{activity.pk}/attendance/")
        expect(board.get_by_test_id("board-child")).to_have_count(2)
        board.screenshot(path=screenshot_dir / "journey-family-board.png", full_page=True)

    # 6. Each child's hours and the family's (家庭公益时): 1.0 h each, 3.0 h together.
    for kid in kids:
        assert str(hours_totals(volunteer=kid).total) == "1.0"
    page.goto("/me/hours/")
    page.get_by_test_id("family-hours-link").click()
    expect(page.get_by_test_id("family-total")).to_have_text("3.0")
    expect(page.get_by_test_id("family-child")).to_have_count(2)
    _no_sideways_scroll(page)
    page.screenshot(path=screenshot_dir / "journey-family-hours.png", full_page=True)
    page.get_by_test_id("family-child").filter(has_text="王二宝").click()
    expect(page.get_by_test_id("hours-total")).to_have_text("1.0")
    page.screenshot(path=screenshot_dir / "journey-family-child-hours.png", full_page=True)
    assert ledger_verify() == []
