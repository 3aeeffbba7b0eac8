"""Issue #14 §3 in Chromium on a phone: the guardian, checked in, checks both children in
with one photo and the code, later checks them out; the staff board lists the family."""

import datetime as dt

import pytest
import time_machine
from playwright.sync_api import expect

from threehours.attendance import codes
from threehours.attendance.models import Attendance, ChildPhoto
from threehours.core.timeutil import local_tz
from threehours.family.tests.factories import child_of, guardian
from threehours.hours.services import hours_totals, ledger_verify
from threehours.signups.tests.factories import published_activity

from .family import family_activity, family_signup, jpeg_bytes
from .test_browser import _phone, _session_cookie, _wgs84_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_guardian_checks_the_children_in_and_out(
    browser, live_server, org, screenshot_dir, tmp_path
):
    activity = family_activity(
        published_activity(org, title="亲子垃圾分类小课堂", questions=[], places=10)
    )
    mum = guardian("13900000011", name="王妈妈")
    kids = [child_of(mum, name="王大宝", age=10), child_of(mum, name="王小宝", age=7)]
    family_signup(activity, mum, kids)
    code = codes.day_code(activity.pk, activity.start_date)
    here = _wgs84_of(float(activity.lat), float(activity.lng))
    photo = tmp_path / "family.jpg"
    photo.write_bytes(jpeg_bytes((1200, 900), (60, 140, 200)))

    phone = _phone(browser, live_server, here)
    phone.add_cookies([_session_cookie(mum, live_server)])
    page = phone.new_page()
    start = dt.datetime.combine(activity.start_date, dt.time(12, 50), tzinfo=local_tz())
    with time_machine.travel(start, tick=True) as clock:
        page.goto(f"/activities/{activity.pk}/checkin/")
        page.get_by_test_id("checkin-form").locator("input[name=code]").fill(code)
        page.get_by_test_id("checkin-button").click()
        expect(page.get_by_test_id("family")).to_be_visible()
        form = page.get_by_test_id("children-checkin-form")
        expect(form).to_be_visible()
        assert form.locator("input[name=child]:checked").count() == 2
        form.get_by_test_id("family-photo").set_input_files(str(photo))
        form.locator("input[name=code]").fill(code)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top
        page.screenshot(path=screenshot_dir / "family-checkin-full.png", full_page=True)
        # What the phone shows: the children's step, without the fixed bar over it.
        page.get_by_test_id("family").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=screenshot_dir / "family-checkin.png")
        form.get_by_test_id("children-checkin-button").click()
        expect(page.locator("[data-testid=family-child][data-state=in]")).to_have_count(2)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=screenshot_dir / "family-checked-in.png", full_page=True)
        assert Attendance.objects.filter(volunteer__in=kids, photo__isnull=False).count() == 2
        assert ChildPhoto.objects.count() == 1

        clock.move_to(start.replace(hour=14, minute=5))
        page.goto(f"/activities/{activity.pk}/checkin/")
        page.get_by_test_id("checkin-form").locator("input[name=code]").fill(code)
        page.get_by_test_id("checkin-button").click()
        out = page.get_by_test_id("children-checkout-form")
        expect(out).to_be_visible()
        out.locator("input[name=code]").fill(code)
        out.get_by_test_id("children-checkout-button").click()
        expect(page.locator("[data-testid=family-child][data-state=done]")).to_have_count(2)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=screenshot_dir / "family-checked-out.png", full_page=True)

        staff = _phone(browser, live_server, here)
        staff.add_cookies([_session_cookie(org.applicant, live_server)])
        board = staff.new_page()
        board.goto(f"/org/{org.pk}/activities/{activity.pk}/attendance/")
        expect(board.get_by_test_id("board-child")).to_have_count(2)
        board.screenshot(path=screenshot_dir / "family-board.png", full_page=True)
        board.set_viewport_size({"width": 1280, "height": 800})
        board.screenshot(path=screenshot_dir / "family-board-desktop.png", full_page=True)
        photo_link = board.get_by_test_id("child-photo").first.locator("a")
        response = board.request.get(photo_link.get_attribute("href"))
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    for kid in kids:
        assert hours_totals(volunteer=kid).total > 0
    assert ledger_verify() == []
