"""Honest wording in Chromium (issue #13 §5): an early check-out says why it earned no hours,
the registration message follows the activity's real state, and online activities speak of the
organiser's code instead of the door screen."""

from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from threehours.accounts.models import User
from threehours.attendance import codes, services
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import (
    local_at,
    online_activity,
    published_activity,
    volunteers,
)

from .test_browser import _phone, _session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, screenshot_dir, name):
    page.screenshot(path=screenshot_dir / name, full_page=True)


def _volunteer(language: str, number: int = 0) -> User:
    (person,) = volunteers(1, start=number)
    User.objects.filter(pk=person.pk).update(language=language)
    person.language = language
    return person


@pytest.mark.parametrize(
    ("language", "why"),
    [
        ("zh-hans", "签到时间不足 3 分钟"),
        ("en", "less than 3 minutes of the activity's time"),
    ],
)
def test_an_early_check_out_says_why_it_earned_no_hours(
    browser, live_server, org, screenshot_dir, language, why
):
    activity = published_activity(org, title="社区助老探访", questions=[])
    person = _volunteer(language)
    signup_services.signup_create(activity=activity, volunteer=person)
    day = activity.start_date
    code = codes.day_code(activity.pk, day)
    site = {"lat": activity.lat, "lng": activity.lng, "coord": "gcj02", "accuracy": Decimal("15")}
    services.attendance_check_in(
        activity=activity,
        volunteer=person,
        proof=services.Proof(code=code, **site),
        now=local_at(day, 12, 30),
    )
    services.attendance_check_out(
        activity=activity,
        volunteer=person,
        proof=services.Proof(code=code, **site),
        now=local_at(day, 13, 1),
    )
    with time_machine.travel(local_at(day, 13, 5)):
        phone = _phone(browser, live_server, None)
        phone.add_cookies([_session_cookie(person, live_server)])
        page = phone.new_page()
        page.goto(f"/activities/{activity.pk}/checkin/")
        expect(page.get_by_test_id("checkin-status")).to_contain_text("0.0")
        expect(page.get_by_test_id("hours-why")).to_contain_text(why)
        _shot(page, screenshot_dir, f"checkin-early-checkout-{language}.png")
        phone.close()


@pytest.mark.parametrize(
    ("language", "under_way", "evening"),
    [
        ("zh-hans", "活动正在进行", "前一天晚上我们会提醒你"),
        ("en", "The activity is under way", "remind you the evening before"),
    ],
)
def test_the_registration_message_follows_the_activitys_state(
    browser, live_server, org, screenshot_dir, language, under_way, evening
):
    activity = published_activity(org, title="滨江步道清洁", questions=[])
    later = published_activity(org, title="社区图书角整理", questions=[])
    first, second = _volunteer(language), _volunteer(language, 1)

    phone = _phone(browser, live_server, None)
    phone.add_cookies([_session_cookie(second, live_server)])
    page = phone.new_page()
    page.goto(f"/activities/{later.pk}/")
    page.get_by_role("button", name="报名" if language == "zh-hans" else "Register").click()
    expect(page.locator(".flash-success")).to_contain_text(evening)
    phone.close()

    with time_machine.travel(local_at(activity.start_date, 13, 30), tick=True):
        phone = _phone(browser, live_server, None)
        phone.add_cookies([_session_cookie(first, live_server)])
        page = phone.new_page()
        page.goto(f"/activities/{activity.pk}/")
        expect(page.get_by_test_id("phase")).to_be_visible()
        page.get_by_role("button", name="报名" if language == "zh-hans" else "Register").click()
        expect(page.locator(".flash-success")).to_contain_text(under_way)
        expect(page.locator(".flash-success")).not_to_contain_text(evening)
        _shot(page, screenshot_dir, f"register-in-progress-{language}.png")
        phone.close()


@pytest.mark.parametrize(
    ("language", "how", "help_text", "done"),
    [
        ("zh-hans", "组织方在线上活动中提供的 4 位验证码", "线上活动", "已记录参与"),
        (
            "en",
            "the organiser gives during the online activity",
            "online activity",
            "Participation recorded",
        ),
    ],
)
def test_an_online_activity_has_its_own_check_in_wording(
    browser, live_server, org, screenshot_dir, language, how, help_text, done
):
    activity = online_activity(org, title="线上英语陪读")
    person = _volunteer(language)
    signup_services.signup_create(activity=activity, volunteer=person)
    day = activity.start_date
    with time_machine.travel(local_at(day, 13, 10), tick=True):
        phone = _phone(browser, live_server, None)
        phone.add_cookies([_session_cookie(person, live_server)])
        page = phone.new_page()
        page.goto(f"/activities/{activity.pk}/")
        expect(page.get_by_test_id("checkin-how")).to_contain_text(how)
        _shot(page, screenshot_dir, f"activity-online-{language}.png")

        page.get_by_test_id("checkin-link").click()
        expect(page.get_by_test_id("code-help")).to_contain_text(help_text)
        for on_site in ("现场", "门口", "on site", "door", "staff"):
            expect(page.get_by_test_id("checkin-form")).not_to_contain_text(on_site)
        _shot(page, screenshot_dir, f"checkin-online-{language}.png")
        page.locator("#checkin-code").fill(codes.day_code(activity.pk, day))
        page.get_by_test_id("checkin-button").click()
        expect(page.get_by_test_id("checkin-status")).to_contain_text(done)
        expect(page.get_by_test_id("hours-why")).to_contain_text("0.1")
        _shot(page, screenshot_dir, f"checkin-online-done-{language}.png")
        phone.close()
