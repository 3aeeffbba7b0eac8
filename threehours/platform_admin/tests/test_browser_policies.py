"""An operator writes, previews and publishes a new version of the privacy policy in the
browser (issue #16 §1)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from threehours.accounts.models import PolicyDocument

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_publishes_a_new_privacy_policy(browser, live_server, operator, screenshot_dir):
    from threehours.accounts.consent import policies_cache_clear

    PolicyDocument.objects.get_or_create(
        kind="privacy",
        version=1,
        defaults={
            "title": "三小时志愿服务平台隐私政策",
            "body_markdown": "# 三小时志愿服务平台隐私政策\n\n第一版",
            "published_at": timezone.now(),
        },
    )
    policies_cache_clear()
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    context.on("dialog", lambda dialog: dialog.accept())
    page = context.new_page()
    page.goto("/ops/policies/")
    page.get_by_label("电子邮箱").fill("ops@example.org")
    page.get_by_label("密码").fill("Operator-Pass-9")
    page.get_by_role("button", name="登录").click()
    privacy = page.get_by_test_id("policy-privacy")
    privacy.get_by_role("button", name="撰写新版本").click()
    expect(page).to_have_url(re.compile(r"/ops/policies/\d+/$"))
    page.get_by_label("主要变化（用户重新同意时显示）").fill("新增账号注销的 7 天冷静期说明")
    page.get_by_label("正文（Markdown）").fill(
        "# 三小时志愿服务平台隐私政策\n\n## 五、注销账号\n\n注销有 **7 天冷静期**。\n\n"
        "| 信息 | 保存期限 |\n|---|---|\n| 签到位置 | 只保存签到那一刻 |"
    )
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_test_id("policy-preview").locator("h2")).to_have_text("五、注销账号")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("button", name="发布")).to_be_visible()
    page.screenshot(path=screenshot_dir / "privacy-ops-policy-edit.png", full_page=True)
    page.get_by_role("button", name="发布").click()
    expect(page).to_have_url(re.compile(r"/ops/policies/$"))
    expect(page.get_by_test_id("policy-privacy")).to_contain_text("现行：第 2 版")
    page.screenshot(path=screenshot_dir / "privacy-ops-policy-list.png", full_page=True)
    assert PolicyDocument.objects.get(kind="privacy", version=2).published_at is not None
    context.close()
