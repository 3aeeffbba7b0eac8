"""Browser journeys of the accounts context, in Debian's Chromium through Playwright."""

import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALID_ID = "11010519491231002X"


@pytest.fixture
def phone_context(browser, live_server):
    """An iPhone-sized context in Chinese, as a volunteer's phone would be."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
    )
    yield context
    context.close()


def test_volunteer_logs_in_with_a_test_phone_and_records_real_name(
    phone_context, test_phones, screenshot_dir
):
    page = phone_context.new_page()
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing spills over
    page.screenshot(path=screenshot_dir / "volunteer-home.png", full_page=True)
    page.goto("/me/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/me/"))
    page.get_by_label("手机号").fill("13800000001")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#code-status")).to_contain_text("验证码已发送")
    page.get_by_label("验证码").fill("123456")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("link", name=re.compile("实名信息"))).to_contain_text("未填写")

    page.get_by_role("link", name=re.compile("实名信息")).click()
    page.get_by_label("真实姓名").fill("张三")
    page.get_by_label("身份证号").fill("110105194912310021")  # one digit off
    page.locator("input[name=consent]").check()  # the ID number's separate consent
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_contain_text("身份证号")
    page.get_by_label("身份证号").fill(VALID_ID)
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_test_id("id-masked")).to_have_text("张三 · 1101**********002X")
    assert VALID_ID not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "volunteer-me.png", full_page=True)


def test_organisation_account_logs_in_after_verifying_its_email_from_the_file_outbox(
    browser, live_server, settings, tmp_path, screenshot_dir
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "email"
    settings.SITE_URL = live_server.url
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/org/signup/")
    page.get_by_label("电子邮箱").fill("contact@ngo.example.cn")
    page.get_by_label("密码", exact=True).fill("Sunshine-Volunteers-26")
    page.get_by_label("再次输入密码").fill("Sunshine-Volunteers-26")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("heading", name="请查收邮件")).to_be_visible()

    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill("contact@ngo.example.cn")
    page.get_by_label("密码").fill("Sunshine-Volunteers-26")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert").first).to_contain_text("验证")

    files = sorted(Path(settings.EMAIL_FILE_PATH).glob("*.log"))
    assert files, "the verification e-mail was not written to the file outbox"
    link = re.search(r"https?://\S+/accounts/verify/\S+/", files[-1].read_text()).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="邮箱已验证")).to_be_visible()

    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill("contact@ngo.example.cn")
    page.get_by_label("密码").fill("Sunshine-Volunteers-26")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/org/$"))
    expect(page.get_by_text("contact@ngo.example.cn").first).to_be_visible()
    page.screenshot(path=screenshot_dir / "org-console.png", full_page=True)
    context.close()
    assert not mail.outbox  # the file backend, not the in-memory one, carried the mail
