"""Issue #12 in Chromium: the board's position evidence (method, accuracy, flags), a large
correction waiting on the approvals page for a second staff member, who approves it, and the
volunteer's 我的公益时 showing it as pending until then."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from playwright.sync_api import expect

from threehours.accounts.models import User
from threehours.attendance import codes, services
from threehours.core.timeutil import local_tz
from threehours.hours.services import hours_totals
from threehours.orgs.models import Membership
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

from .test_browser import _phone, _session_cookie

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _desk(browser, live_server, user):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    context.add_cookies([_session_cookie(user, live_server)])
    return context


def test_board_evidence_and_a_correction_that_needs_a_second_staff_member(
    browser, live_server, org, screenshot_dir
):
    activity = published_activity(
        org,
        title="滨江步道垃圾分类宣传",
        questions=[],
        places=20,
        checkin_time="09:00",
        checkout_time="12:00",
    )
    people = volunteers(4)
    for person, name in zip(people, ("张敏", "李强", "王芳", "陈晨"), strict=True):
        person.real_name = name
        person.save(update_fields=["real_name"])
        signup_services.signup_create(activity=activity, volunteer=person)
    code = codes.day_code(activity.pk, activity.start_date)
    site = {"lat": activity.lat, "lng": activity.lng, "coord": "gcj02"}
    near = {"lat": activity.lat + Decimal("0.0002"), "lng": activity.lng, "coord": "gcj02"}
    apart = {"lat": activity.lat, "lng": activity.lng + Decimal("0.0003"), "coord": "gcj02"}
    proofs = [
        services.Proof(code=code, **apart, accuracy=Decimal("16")),
        services.Proof(code=code, **site),  # typed in: the site's own coordinates…
        services.Proof(code=code, **site),  # …twice, and no accuracy
        services.Proof(code=code, **near, accuracy=Decimal("0.5")),
    ]
    day = activity.start_date
    for person, proof in zip(people, proofs, strict=True):
        services.attendance_check_in(
            activity=activity,
            volunteer=person,
            proof=proof,
            now=dt.datetime.combine(day, dt.time(9, 2), tzinfo=local_tz()),
        )
    second = User.objects.create_user(email="coord@ngo.example.cn", password="Second-Staff-9")
    second.nickname = "赵协调"
    second.save(update_fields=["nickname"])
    Membership.objects.create(organisation=org, user=second, role=Membership.Role.COORDINATOR)

    with time_machine.travel(dt.datetime.combine(day, dt.time(12, 30), tzinfo=local_tz())):
        desk = _desk(browser, live_server, org.applicant)
        board = desk.new_page()
        board.goto(f"/org/{org.pk}/activities/{activity.pk}/attendance/")
        expect(board.get_by_test_id("flagged")).to_be_visible()
        expect(board.get_by_test_id("flag")).to_have_count(5)
        expect(board.get_by_test_id("group-checked_in")).to_contain_text("±16 m")
        board.screenshot(path=screenshot_dir / "attendance-board-evidence.png", full_page=True)

        # 张敏 stayed the whole morning but her phone died: 3.0 h over nothing measured
        row = board.get_by_test_id("board-row").filter(has_text="张敏")
        row.get_by_test_id("correct").click()
        row.locator("input[name=checkin_at]").fill("09:00")
        row.locator("input[name=checkout_at]").fill("12:00")
        row.get_by_label("原因（志愿者可见）").fill("手机没电，全程在场，组长可证明")
        row.get_by_test_id("save-correction").click()
        expect(board.locator(".flash-warning")).to_be_visible()
        assert hours_totals(volunteer=people[0]).service_hours == 0

        approvals = desk.new_page()
        approvals.goto(f"/org/{org.pk}/hours/pending/")
        expect(approvals.get_by_test_id("correction-row")).to_contain_text("张敏")
        expect(approvals.get_by_test_id("not-yours")).to_be_visible()  # its author can't
        desk.close()

        phone = _phone(browser, live_server, None)
        phone.add_cookies([_session_cookie(people[0], live_server)])
        mobile = phone.new_page()
        mobile.goto("/me/hours/")
        expect(mobile.get_by_test_id("pending-correction")).to_contain_text("3.0")
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
        mobile.screenshot(path=screenshot_dir / "my-hours-correction-pending.png", full_page=True)

        colleague = _desk(browser, live_server, second)
        page = colleague.new_page()
        page.goto(f"/org/{org.pk}/hours/pending/")
        expect(page.get_by_test_id("approve-correction")).to_be_visible()
        page.screenshot(path=screenshot_dir / "org-correction-pending.png", full_page=True)
        page.get_by_test_id("approve-correction").click()
        expect(page.locator(".flash-success")).to_be_visible()
        colleague.close()

        mobile.goto("/me/hours/")
        expect(mobile.get_by_test_id("hours-total")).to_have_text("3.0")
        phone.close()
    assert hours_totals(volunteer=people[0]).service_hours == Decimal("3.0")
