"""Organisation onboarding end to end in Chromium: sign-up, e-mail verification from the file
outbox, application with files, rejection, correction, approval (issue acceptance)."""

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Sunshine-Volunteers-26"


def _scan(path: Path, colour) -> Path:
    image = Image.new("RGB", (1200, 900), colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _latest_link(folder: Path, pattern: str) -> str:
    for mail in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
        found = re.search(pattern, mail.read_text())
        if found:
            return found.group(0)
    raise AssertionError(f"no e-mail in {folder} matches {pattern}")


def test_organisation_applies_is_rejected_fixes_and_is_approved(
    browser, live_server, settings, tmp_path, operator, screenshot_dir, regions
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "email"
    settings.SITE_URL = live_server.url
    desktop = {
        "viewport": {"width": 1280, "height": 900},
        "locale": "zh-CN",
        "base_url": live_server.url,
    }
    org_ctx = browser.new_context(**desktop)
    page = org_ctx.new_page()

    # Sign up and verify the e-mail address from the file outbox.
    page.goto("/org/signup/")
    page.get_by_label("电子邮箱").fill("contact@school.example.cn")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.locator("#id_agree").check()
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("heading", name="请查收邮件")).to_be_visible()
    page.goto(_latest_link(settings.EMAIL_FILE_PATH, r"https?://\S+/accounts/verify/\S+/"))
    page.get_by_role("link", name="登录").click()
    page.get_by_label("电子邮箱").fill("contact@school.example.cn")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()

    # Apply.
    page.get_by_role("link", name="申请入驻").last.click()
    page.get_by_label("机构名称").fill("实验学校青年志愿者协会")
    page.get_by_label("学校类志愿组织").check()
    page.get_by_label("省份").select_option(label="上海市")
    expect(page.locator("#id_city option", has_text="市辖区")).to_be_attached()
    page.get_by_label("城市").select_option(label="市辖区")
    expect(page.locator("#id_district option", has_text="徐汇区")).to_be_attached()
    page.get_by_label("区县").select_option(label="徐汇区")
    page.get_by_label("详细地址").fill("漕溪北路 88 号")
    page.get_by_label("联系人").fill("王老师")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_label("机构简介").fill("学校团委指导下的学生志愿服务组织。")
    page.get_by_role("button", name="保存并继续").click()
    expect(page.get_by_test_id("org-state")).to_contain_text("草稿")

    # Two images, delete one, submit.
    for colour in ((200, 60, 40), (40, 90, 200)):
        page.get_by_label("彩色照片或扫描件").set_input_files(
            _scan(tmp_path / f"{colour[0]}.jpg", colour)
        )
        page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("files").locator("img")).to_have_count(2)
    page.get_by_test_id("files").get_by_role("button", name="删除").first.click()
    expect(page.get_by_test_id("files").locator("img")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "org-application.png", full_page=True)
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("org-state")).to_contain_text("审核中")

    # The operator rejects with a reason.
    ops_ctx = browser.new_context(**desktop)
    ops = ops_ctx.new_page()
    ops.goto("/ops/login/")
    ops.get_by_label("电子邮箱").fill("ops@example.org")
    ops.get_by_label("密码").fill("Operator-Pass-9")
    ops.get_by_role("button", name="登录").click()
    ops.goto("/ops/orgs/review/")
    ops.get_by_role("link", name="实验学校青年志愿者协会").click()
    ops.screenshot(path=screenshot_dir / "ops-review.png", full_page=True)
    ops.get_by_role("button", name="驳回").click()
    expect(ops.get_by_role("alert").first).to_be_visible()  # a reason is required
    ops.get_by_label("驳回理由").fill("背书证明没有盖章，请重新上传。")
    ops.get_by_role("button", name="驳回").click()
    expect(ops.get_by_test_id("org-state")).to_contain_text("未通过")

    # The organisation sees the reason, fixes and resubmits.
    page.reload()
    expect(page.get_by_test_id("reject-reason")).to_have_text("背书证明没有盖章，请重新上传。")
    page.get_by_label("机构简介").fill("学校团委指导下的学生志愿服务组织，开展支教与社区服务。")
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_role("button", name="重新提交审核").click()
    expect(page.get_by_test_id("org-state")).to_contain_text("审核中")

    # The operator approves; the console shows 已入驻 and publishing is allowed.
    ops.goto("/ops/orgs/review/")
    ops.get_by_role("link", name="实验学校青年志愿者协会").click()
    ops.get_by_role("button", name="通过").click()
    expect(ops.get_by_test_id("org-state")).to_contain_text("已通过")
    page.goto("/org/")
    expect(page.get_by_test_id("org-state")).to_contain_text("已入驻")
    expect(page.get_by_test_id("can-publish")).to_contain_text("可以发布")
    page.screenshot(path=screenshot_dir / "org-dashboard.png", full_page=True)
    org_ctx.close()
    ops_ctx.close()
