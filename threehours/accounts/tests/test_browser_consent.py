"""Consent journeys in the browser (issue #16 §1): the first phone log-in is refused without the
tick and succeeds with it; the real-name page asks for the ID number's separate consent."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from threehours.accounts.models import PolicyDocument, User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALID_ID = "11010519491231002X"
POLICIES = Path(__file__).resolve().parent.parent / "policies"


@pytest.fixture
def policies():
    """Both documents (a transactional test before this one may have flushed the seeded ones)."""
    from threehours.accounts.consent import policies_cache_clear

    for kind, title in (
        ("terms", "三小时志愿服务平台用户协议"),
        ("privacy", "三小时志愿服务平台隐私政策"),
    ):
        PolicyDocument.objects.get_or_create(
            kind=kind,
            version=1,
            defaults={
                "title": title,
                "body_markdown": (POLICIES / f"{kind}_v1.md").read_text(encoding="utf-8"),
                "published_at": timezone.now(),
            },
        )
    policies_cache_clear()


@pytest.fixture
def phone_context(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
    )
    yield context
    context.close()


def test_first_log_in_asks_for_consent_and_real_name_asks_separately(
    phone_context, policies, test_phones, screenshot_dir
):
    page = phone_context.new_page()
    page.goto("/login/")
    page.get_by_label("手机号").fill("13800000001")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码").fill("123456")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "请阅读并同意《用户协议》、《隐私政策》"
    )
    assert not User.objects.filter(phone="13800000001").exists()
    expect(page.locator("#id_agree")).not_to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=screenshot_dir / "privacy-login-consent.png", full_page=True)

    # The links open the documents.
    with page.expect_popup() as popup:
        page.get_by_role("link", name="《隐私政策》").click()
    expect(popup.value.get_by_role("heading", name="三小时志愿服务平台隐私政策")).to_be_visible()
    popup.value.screenshot(path=screenshot_dir / "privacy-policy-page.png")
    popup.value.close()

    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    user = User.objects.get(phone="13800000001")
    assert set(user.consents.values_list("kind", flat=True)) == {"terms", "privacy"}

    page.goto("/me/real-name/")
    block = page.locator("#consent-id_number")
    expect(block).to_contain_text("身份证号处理单独同意")
    expect(block).to_contain_text("加密存储")
    page.get_by_label("真实姓名").fill("张三")
    page.get_by_label("身份证号").fill(VALID_ID)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("需要先征得您的同意")
    user.refresh_from_db()
    assert not user.real_name_verified
    page.screenshot(path=screenshot_dir / "privacy-real-name-consent.png", full_page=True)
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("id-masked")).to_have_text("张三 · 1101**********002X")
    expect(page.get_by_test_id("my-consents")).to_contain_text("身份证号")
