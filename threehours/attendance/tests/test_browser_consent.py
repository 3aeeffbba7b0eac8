"""The check-in page explains the position before the browser asks (issue #16 §1): without the
location consent the position is not read; ticking the box reads it and checks in."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from threehours.accounts.models import Consent, User
from threehours.attendance import codes
from threehours.attendance.models import Attendance
from threehours.core.timeutil import local_tz
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

from .test_browser import _phone, _session_cookie, _wgs84_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_position_is_read_only_after_the_consent(
    browser, live_server, settings, org, screenshot_dir
):
    settings.SITE_URL = live_server.url
    person = User.objects.create(phone="13600000044", phone_bound_at=timezone.now())
    Consent.objects.create(user=person, kind="share_with_org", version=1)
    activity = published_activity(org, questions=[], places=10)
    signup_services.signup_create(activity=activity, volunteer=person)
    phone = _phone(browser, live_server, _wgs84_of(float(activity.lat), float(activity.lng)))
    phone.add_cookies([_session_cookie(person, live_server)])
    page = phone.new_page()
    at = dt.datetime.combine(activity.start_date, dt.time(13, 5), tzinfo=local_tz())
    with time_machine.travel(at, tick=True):
        token, _expires = codes.qr_token_make(activity.pk, activity.start_date)
        page.goto(f"/activities/{activity.pk}/checkin/?t={token}")
        block = page.locator("#consent-location")
        expect(block).to_contain_text("只随签到记录保存签到、签退那一刻的位置快照")
        page.wait_for_timeout(300)
        expect(page.locator("input[name=lat]")).to_have_value("")  # not asked yet
        page.screenshot(
            path=screenshot_dir / "privacy-checkin-location-consent.png", full_page=True
        )
        block.locator("input[name=location_consent]").check()
        expect(page.locator("input[name=lat]")).not_to_have_value("")
        page.get_by_test_id("checkin-button").click()
        expect(page.get_by_test_id("checkin-status")).to_be_visible()
    assert Attendance.objects.filter(volunteer=person).exists()
    assert person.consents.filter(kind="location").exists()
    phone.close()
