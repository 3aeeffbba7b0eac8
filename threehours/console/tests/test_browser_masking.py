"""An organisation admin sees masked phone numbers on the registrant page and reveals one with
显示号码 (issue #16 §5); the reveal is audited."""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from threehours.core.models import AuditEntry
from threehours.orgs.tests.factories import approved_org
from threehours.signups import services
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def test_admin_reveals_one_masked_number(
    browser, live_server, operator, regions, attributes, screenshot_dir
):
    org = approved_org(operator=operator)
    activity = published_activity(org, title="社区助老探访", questions=[])
    people = volunteers(3)
    people[0].real_name = "张三"
    people[0].save(update_fields=["real_name"])
    for person in people:
        services.signup_create(activity=activity, volunteer=person)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill(org.applicant.email)
    page.get_by_label("密码").fill("Apply-Pass-2026")
    page.get_by_role("button", name="登录").click()
    page.goto(f"/org/{org.pk}/activities/{activity.pk}/registrants/")
    table = page.get_by_test_id("registrants")
    expect(table).to_contain_text("137****0000")
    assert "13700000000" not in page.content()
    row = page.get_by_test_id("registrant").filter(has_text="张三")
    row.get_by_role("button", name="显示号码").click()
    expect(row.get_by_test_id("phone-revealed")).to_have_text("13700000000")
    expect(page.get_by_test_id("phone-revealed")).to_have_count(1)  # only that one
    shot = screenshot_dir / "console-phone-reveal.png"
    page.screenshot(path=str(shot), full_page=True)
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, DOCS / "console-phone-reveal.png")
    assert (
        AuditEntry.objects.filter(
            actor=org.applicant, verb="phone.revealed", target_id=str(people[0].pk)
        ).count()
        == 1
    )
    context.close()
