"""Issue #15 §4 in Chromium on a phone: a logged-out visitor (who scanned a certificate's QR
code) opens /verify/<serial> for a valid and a revoked certificate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from threehours.hours.models import Certificate

from .certificate_factory import certificate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser, live_server, locale="zh-CN"):
    return browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale=locale,
        base_url=live_server.url,
    )


def test_a_phone_verifies_a_valid_and_a_revoked_certificate(
    browser, live_server, org, volunteer, screenshot_dir
):
    valid = certificate(
        volunteer,
        organisation=org,
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 11, 30),
        total_hours="36.5",
        holder_masked="王*明",
    )
    revoked = certificate(
        volunteer, all_time=True, date_from=dt.date(2025, 3, 8), total_hours="48.0"
    )
    Certificate.objects.filter(pk=revoked.pk).update(
        state="revoked", revoked_reason="correction", revoked_at=timezone.now()
    )
    phone = _phone(browser, live_server)
    page = phone.new_page()
    page.goto(f"/verify/{valid.serial}")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-state", "valid")
    expect(page.get_by_test_id("holder")).to_have_text("王*明")
    expect(page.get_by_test_id("total-hours")).to_contain_text("36.5")
    expect(page.get_by_test_id("sha256")).to_have_text(valid.sha256)
    page.screenshot(path=screenshot_dir / "verify-valid.png", full_page=True)
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert phone.cookies() == []  # no session, no CSRF cookie for a visitor

    page.goto(f"/verify/{revoked.serial.lower().replace('-', ' ')}")  # typed by hand
    assert page.url.endswith(f"/verify/{revoked.serial}")
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-state", "revoked")
    expect(page.get_by_test_id("revoked-reason")).to_contain_text("更正")
    page.screenshot(path=screenshot_dir / "verify-revoked.png", full_page=True)

    page.goto("/verify/")
    page.locator("input[name=serial]").fill("3h 0000 0000 0000 0000")
    page.get_by_role("button", name="查验").click()
    expect(page.get_by_test_id("verdict")).to_have_attribute("data-state", "unknown")
    page.screenshot(path=screenshot_dir / "verify-unknown.png", full_page=True)
    assert phone.cookies() == []
    phone.close()
