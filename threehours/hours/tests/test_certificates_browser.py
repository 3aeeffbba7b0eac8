"""Issue #15 §3–4 in Chromium on a phone: a volunteer opens 我的公益时 → 公益证书, issues a
certificate, downloads it, and the QR code of the downloaded PDF (rendered to PNG and
decoded) opens the public verification page with the serial."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from threehours.attendance.tests.test_browser import _session_cookie
from threehours.hours.models import Certificate

from .certs import adult, credit, later, offline, pdf_png, qr_decode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_volunteer_issues_downloads_and_verifies_a_certificate(
    browser, live_server, org, settings, screenshot_dir, tmp_path
):
    settings.SITE_URL = live_server.url
    holder = adult(name="张小三")
    first, second = offline(org, title="社区助老探访"), offline(org, title="河道清洁行动")
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
        accept_downloads=True,
    )
    with later(20):
        context.add_cookies([_session_cookie(holder, live_server)])
        page = context.new_page()
        credit(holder, first, first.start_date, "2.5")
        credit(holder, second, second.start_date, "3.0")
        page.goto("/me/hours/")
        page.get_by_test_id("certificates-link").click()
        expect(page.get_by_test_id("certificate-form")).to_be_visible()
        page.screenshot(path=screenshot_dir / "certificate-page.png", full_page=True)
        page.get_by_test_id("issue").click()
        item = page.get_by_test_id("certificate")
        expect(item).to_have_count(1)
        cert = Certificate.objects.get()
        expect(item.first).to_contain_text(cert.serial)
        page.screenshot(path=screenshot_dir / "certificate-list.png", full_page=True)
        with page.expect_download() as waiting:
            item.get_by_test_id("certificate-download").click()
        download = waiting.value
        assert download.suggested_filename == f"certificate-{cert.serial}.pdf"
        download.save_as(tmp_path / "downloaded.pdf")
        data = (tmp_path / "downloaded.pdf").read_bytes()
        png = pdf_png(data, tmp_path, dpi=150)
        url = qr_decode(png)
        assert url == f"{live_server.url}/verify/{cert.serial}"
        verify = context.new_page()
        verify.goto(url)
        expect(verify.locator("body")).to_contain_text(cert.serial)
        verify.screenshot(path=screenshot_dir / "certificate-issue.png", full_page=True)
        shutil.copy(png, tmp_path / "scanned.png")
