"""Issue #6 acceptance journey in Chromium: staff put the check-in screen on a tablet at the
door; a volunteer's phone (at the activity's place) scans its QR code, checks in, later checks
out with the code after the scanned QR has expired, and sees the hours; the staff's board
follows by itself."""

import datetime as dt
import shutil
import subprocess

import pytest
import time_machine
from playwright.sync_api import expect

from threehours.attendance import codes
from threehours.core.geo import wgs84_to_gcj02
from threehours.core.timeutil import local_tz
from threehours.hours.models import LedgerEntry
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

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


def _wgs84_of(lat: float, lng: float) -> dict:
    """The browser's WGS-84 position for a GCJ-02 map point (inverting the offset, which is
    nearly constant over a few hundred metres)."""
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    return {"latitude": 2 * lat - g_lat, "longitude": 2 * lng - g_lng, "accuracy": 15}


def _phone(browser, live_server, position):
    return browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
        geolocation=position,
        permissions=["geolocation"],
    )


def _scanned_url(page, activity, path, live_server) -> str:
    """The URL in the screen's QR code: decoded from a screenshot with zbarimg when it is
    installed, else made the way the QR view makes it."""
    qr = page.get_by_test_id("checkin-qr")
    expect(qr).to_be_visible()
    zbarimg = shutil.which("zbarimg")
    if zbarimg:
        qr.screenshot(path=path)
        result = subprocess.run(  # noqa: S603 - a fixed tool on a file the test wrote
            [zbarimg, "--quiet", "--raw", str(path)], capture_output=True, text=True, check=True
        )
        return result.stdout.strip()
    token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
    return f"{live_server.url}/activities/{activity.pk}/checkin/?t={token}"


def test_volunteer_checks_in_and_out_and_the_board_follows(
    browser, live_server, settings, org, volunteer, screenshot_dir
):
    settings.SITE_URL = live_server.url
    activity = published_activity(org, title="周六社区图书角整理", questions=[], places=10)
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    at_the_door = _wgs84_of(float(activity.lat), float(activity.lng))

    phone = _phone(browser, live_server, at_the_door)
    phone.add_cookies([_session_cookie(volunteer, live_server)])
    mobile = phone.new_page()
    mobile.goto(f"/activities/{activity.pk}/checkin/")  # ten days early
    expect(mobile.get_by_test_id("checkin-status")).to_be_visible()
    assert mobile.get_by_test_id("checkin").get_attribute("data-state") == "not_started"
    mobile.screenshot(path=screenshot_dir / "checkin-not-started.png", full_page=True)

    start = dt.datetime.combine(activity.start_date, dt.time(12, 58), tzinfo=local_tz())
    with time_machine.travel(start, tick=True) as clock:
        desk = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
        )
        desk.add_cookies([_session_cookie(org.applicant, live_server)])
        board = desk.new_page()
        board.goto(f"/org/{org.pk}/activities/{activity.pk}/")
        board.get_by_test_id("attendance-board-link").click()
        expect(board.get_by_test_id("count-registered")).to_have_text("1")
        expect(board.get_by_test_id("count-checked-in")).to_have_text("0")

        tablet = browser.new_context(
            viewport={"width": 1024, "height": 768}, locale="zh-CN", base_url=live_server.url
        )
        tablet.add_cookies([_session_cookie(org.applicant, live_server)])
        screen = tablet.new_page()
        screen.goto(f"/org/{org.pk}/activities/{activity.pk}/checkin-screen/")
        day_code = codes.day_code(activity.pk, activity.start_date)
        expect(screen.get_by_test_id("day-code")).to_have_text(day_code)
        screen.screenshot(path=screenshot_dir / "checkin-screen.png")
        screen.set_viewport_size({"width": 768, "height": 1024})  # the tablet held upright
        expect(screen.get_by_test_id("day-code")).to_be_in_viewport()
        screen.screenshot(path=screenshot_dir / "checkin-screen-portrait.png")
        screen.set_viewport_size({"width": 1024, "height": 768})
        expect(screen.get_by_test_id("day-code")).to_be_in_viewport()
        url = _scanned_url(screen, activity, screenshot_dir / "checkin-qr.png", live_server)
        assert url.startswith(f"{live_server.url}/activities/{activity.pk}/checkin/?t=")

        mobile.goto(url)
        form = mobile.get_by_test_id("checkin-form")
        expect(form).to_be_visible()
        expect(form.locator("input[name=lat]")).not_to_have_value("")  # the page's script
        mobile.screenshot(path=screenshot_dir / "checkin-ready.png", full_page=True)
        mobile.get_by_test_id("checkin-button").click()
        status = mobile.get_by_test_id("checkin-status")
        expect(status).to_contain_text("12:5")
        assert mobile.get_by_test_id("checkin").get_attribute("data-state") == "checked_in_early"
        mobile.screenshot(path=screenshot_dir / "checkin-checked-in.png", full_page=True)

        # the board refreshes itself every 10 seconds
        expect(board.get_by_test_id("count-checked-in")).to_have_text("1", timeout=15000)
        expect(board.get_by_test_id("group-checked_in")).to_contain_text(volunteer.phone_masked)
        board.screenshot(path=screenshot_dir / "attendance-board-checked-in.png", full_page=True)

        # an hour later the scanned QR code has long expired: the 4-digit code still works
        clock.move_to(dt.datetime.combine(activity.start_date, dt.time(13, 59), tzinfo=local_tz()))
        mobile.goto(url)
        expect(mobile.get_by_test_id("checkin-button")).to_be_visible()
        mobile.get_by_test_id("checkin-button").click()
        expect(mobile.get_by_test_id("checkin-error")).to_be_visible()
        assert mobile.get_by_test_id("checkin").get_attribute("data-state") == "checkout"
        mobile.screenshot(path=screenshot_dir / "checkin-qr-expired.png", full_page=True)
        mobile.locator("#checkin-code").fill(day_code)
        mobile.get_by_test_id("checkin-button").click()
        expect(mobile.get_by_test_id("checkin-status")).to_contain_text("1.0")
        assert mobile.get_by_test_id("checkin").get_attribute("data-state") == "done"
        mobile.screenshot(path=screenshot_dir / "checkin-done.png", full_page=True)

        mobile.get_by_test_id("my-hours-link").click()
        expect(mobile.get_by_test_id("hours-total")).to_have_text("1.0")
        expect(mobile.get_by_test_id("hours-activity")).to_contain_text("周六社区图书角整理")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
        mobile.screenshot(path=screenshot_dir / "my-hours.png", full_page=True)

        expect(board.get_by_test_id("count-checked-out")).to_have_text("1", timeout=15000)
        expect(board.get_by_test_id("count-checked-in")).to_have_text("0")
        board.get_by_test_id("correct").click()  # an open correction pauses the refresh
        board.get_by_label("原因（志愿者可见）").fill("13:00 前已在现场布置")
        board.screenshot(path=screenshot_dir / "attendance-board-correction.png", full_page=True)
        board.get_by_test_id("save-correction").click()
        expect(board.locator(".flash-success")).to_be_visible()
        desk.close()
        tablet.close()
    phone.close()
    entry = LedgerEntry.objects.get(volunteer=volunteer)
    assert (entry.entry_type, str(entry.hours)) == ("credit", "1.0")


def test_volunteer_outside_the_radius_is_told_how_far(
    browser, live_server, settings, org, volunteer, screenshot_dir
):
    settings.SITE_URL = live_server.url
    activity = published_activity(org, questions=[], places=10)
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    far_away = _wgs84_of(float(activity.lat) + 0.02, float(activity.lng))
    phone = _phone(browser, live_server, far_away)
    phone.add_cookies([_session_cookie(volunteer, live_server)])
    page = phone.new_page()
    at = dt.datetime.combine(activity.start_date, dt.time(13, 5), tzinfo=local_tz())
    with time_machine.travel(at, tick=True):
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        page.goto(f"/activities/{activity.pk}/checkin/?t={token}")
        expect(page.locator("input[name=lat]")).not_to_have_value("")
        page.get_by_test_id("checkin-button").click()
        expect(page.get_by_test_id("checkin-error")).to_contain_text("500")
        page.screenshot(path=screenshot_dir / "checkin-outside-radius.png", full_page=True)
    phone.close()
