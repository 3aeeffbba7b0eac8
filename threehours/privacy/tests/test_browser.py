"""Issue #16 acceptance journey in Chromium (phone, 390 wide): a volunteer downloads their data
and closes the account; after the cooling-off (time moved) and the job, the organisation's
registrants export shows 已注销用户 without a phone number, and verify_ledger passes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from threehours.accounts.services import real_name_set
from threehours.family.tests.factories import id_number_born, years_ago
from threehours.privacy import services
from threehours.privacy.models import AccountClosure

from .factories import with_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def _cookie(user, live_server):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _phone(browser, live_server):
    return browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
    )


def test_a_volunteer_downloads_their_data_and_closes_the_account(
    browser, live_server, org, volunteer, screenshot_dir
):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    person = real_name_set(
        user=volunteer, real_name="李四", id_number=id_number_born(years_ago(30), serial=77)
    )
    past, upcoming, _signup = with_history(org, person)
    DOCS.mkdir(parents=True, exist_ok=True)

    context = _phone(browser, live_server)
    context.add_cookies([_cookie(person, live_server)])
    page = context.new_page()
    page.goto("/me/")
    page.get_by_test_id("privacy-link").click()
    expect(page.get_by_role("heading", name="个人信息与隐私")).to_be_visible()
    expect(page.get_by_test_id("organisation")).to_contain_text(org.name)

    page.get_by_test_id("data-export-request").click()  # the job runs inline in tests
    link = page.get_by_test_id("download-link")
    expect(link).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=DOCS / "privacy-home.png", full_page=True)
    with page.expect_download() as download_info:
        link.click()
    with zipfile.ZipFile(Path(download_info.value.path())) as archive:
        data = json.loads(archive.read("data.json"))
        (screenshot_dir / "privacy-summary.pdf").write_bytes(archive.read("summary.pdf"))
    assert data["account"]["real_name"] == "李四"
    assert {r["activity"] for r in data["registrations"]} == {"旧活动", "新活动"}

    page.get_by_test_id("closure-link").click()
    page.screenshot(path=DOCS / "privacy-closing-confirm.png", full_page=True)
    page.get_by_test_id("closure-submit").click()
    expect(page.get_by_test_id("closure-error")).to_contain_text("请勾选")
    page.get_by_test_id("closure-confirm").check()
    page.get_by_test_id("closure-submit").click()
    expect(page.get_by_test_id("closure-requested")).to_contain_text("注销")
    page.screenshot(path=DOCS / "privacy-closing.png", full_page=True)
    closure = AccountClosure.objects.get(user=person)

    # The cooling-off passes and the job runs.
    with time_machine.travel(closure.effective_at + dt.timedelta(minutes=10)):
        assert services.closures_due() == 1
    page.goto("/me/privacy/")
    expect(page).to_have_url(re.compile(r"/login"))  # the session ended with the account

    staff = browser.new_context(base_url=live_server.url, locale="zh-CN")
    staff.add_cookies([_cookie(org.applicant, live_server)])
    url = reverse("console:activity-registrants-xlsx", args=[org.pk, past.pk])
    response = staff.request.get(url)
    assert response.ok
    sheet = openpyxl.load_workbook(io.BytesIO(response.body())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0][0] == "已注销用户"
    assert not any(person.phone in str(v) for r in rows for v in r if v)
    call_command("verify_ledger")
    assert timezone.now() < closure.effective_at  # time is back
