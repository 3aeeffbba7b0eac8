"""Hours and distances as the volunteer sees them, in Chromium, in Chinese and in English:
one decimal for hours after a correction ("0.6", never "0.600000000000000"), kilometres past
1,000 m on the "near me" list and on the check-in page (core/numbers.py)."""

import datetime as dt
import re

import pytest
import time_machine
from playwright.sync_api import expect

from threehours.attendance import codes
from threehours.attendance import services as attendance_services
from threehours.core.geo import wgs84_to_gcj02
from threehours.core.timeutil import local_tz
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {
    "zh-hans": {
        "locale": "zh-CN",
        "credited": "0.6 小时",
        "near": "1.3 公里",
        "far": "公里",
        "radius": "500 米)",
    },
    "en": {
        "locale": "en-US",
        "credited": "0.6 h",
        "near": "1.3 km",
        "far": "km",
        "radius": "500 m)",
    },
}


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


def _at(activity, hh, mm=0, day=0):
    return dt.datetime.combine(
        activity.start_date + dt.timedelta(days=day), dt.time(hh, mm), tzinfo=local_tz()
    )


def _wgs84_of(lat: float, lng: float) -> dict:
    g_lat, g_lng = wgs84_to_gcj02(lat, lng)
    return {"latitude": 2 * lat - g_lat, "longitude": 2 * lng - g_lng, "accuracy": 15}


@pytest.mark.parametrize("language", LANGUAGES)
def test_hours_and_distances_read_well_in_the_browser(
    browser, live_server, settings, org, volunteer, language, screenshot_dir
):
    expected = LANGUAGES[language]
    settings.SITE_URL = live_server.url
    activity = published_activity(org, title="周六社区图书角整理", questions=[], places=10)
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    [traveller] = volunteers(1)
    signup_services.signup_create(activity=activity, volunteer=traveller)
    for hh, action in ((13, "attendance_check_in"), (14, "attendance_check_out")):
        with time_machine.travel(_at(activity, hh), tick=False):
            getattr(attendance_services, action)(
                activity=activity, volunteer=volunteer, staff=org.applicant
            )
    with time_machine.travel(_at(activity, 20), tick=False):
        attendance_services.attendance_correct(
            signup=Signup.objects.get(volunteer=volunteer),
            day=activity.start_date,
            checkin_at=dt.time(13, 0),
            checkout_at=dt.time(13, 36),
            staff=org.applicant,
            reason="提前离开了",
        )

    # On the day, someone opens the check-in page in Beijing, ≈ 1,070 km away.
    beijing = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        locale=expected["locale"],
        base_url=live_server.url,
        geolocation=_wgs84_of(39.9042, 116.4074),
        permissions=["geolocation"],
    )
    beijing.add_cookies([_session_cookie(traveller, live_server)])
    with time_machine.travel(_at(activity, 13, 10), tick=True):
        page = beijing.new_page()
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        page.goto(f"/activities/{activity.pk}/checkin/?t={token}")
        form = page.get_by_test_id("checkin-form")
        expect(form.locator("input[name=lat]")).not_to_have_value("")
        page.get_by_test_id("checkin-button").click()
        error = page.get_by_test_id("checkin-error")
        expect(error).to_contain_text(expected["far"])
        assert re.search(r"1,?\d{3} (公里|km)", error.inner_text()), error.inner_text()
        assert "米" not in error.inner_text().split("，")[0]
        page.screenshot(path=screenshot_dir / f"units-checkin-far-{language}.png", full_page=True)
    beijing.close()

    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        locale=expected["locale"],
        base_url=live_server.url,
    )
    context.add_cookies([_session_cookie(volunteer, live_server)])
    page = context.new_page()
    with time_machine.travel(_at(activity, 10, day=1), tick=True):
        page.goto("/me/activities/?tab=finished")
        expect(page.get_by_test_id("my-activity-hours")).to_have_text(expected["credited"])
        expect(page.locator("body")).not_to_contain_text("0.60000")
        page.screenshot(path=screenshot_dir / f"units-my-activities-{language}.png", full_page=True)

        page.goto("/me/hours/")
        expect(page.get_by_test_id("hours-total")).to_have_text("0.6")
        expect(page.locator(".hours-delta")).to_have_text(["+1.0", "-0.4"])
        page.screenshot(path=screenshot_dir / f"units-my-hours-{language}.png", full_page=True)

    # The organisation's console: the board's hours and the activity's check-in radius.
    desk = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale=expected["locale"], base_url=live_server.url
    )
    desk.add_cookies([_session_cookie(org.applicant, live_server)])
    console = desk.new_page()
    with time_machine.travel(_at(activity, 10, day=1), tick=True):
        console.goto(
            f"/org/{org.pk}/activities/{activity.pk}/attendance/?day={activity.start_date}"
        )
        expect(console.get_by_test_id("group-checked_out")).to_contain_text("0.6")
        expect(console.get_by_test_id("group-checked_out")).not_to_contain_text("0.60")
        console.screenshot(path=screenshot_dir / f"units-board-{language}.png", full_page=True)
        console.goto(f"/org/{org.pk}/activities/{activity.pk}/")
        expect(console.locator("main")).to_contain_text(expected["radius"])
        console.screenshot(path=screenshot_dir / f"units-console-detail-{language}.png")
    desk.close()

    # "Near me" from about 1.3 km north of the activity, before it starts.
    with time_machine.travel(_at(activity, 9, day=-1), tick=True):
        page.goto("/activities/?lat=31.200&lng=121.437&coord=gcj02&sort=nearest")
        distance = page.get_by_test_id("card-distance")
        expect(distance).to_have_text(expected["near"])
        box = distance.bounding_box()
        assert box and box["height"] < 30  # one line: "1.3 km" never breaks between its parts
        page.screenshot(path=screenshot_dir / f"units-near-me-{language}.png", full_page=True)
    context.close()
