"""An approved organisation creates an offline activity with a question, publishes it and
copies it, in the console (issue #4 acceptance, organisation half). The description is written
in the rich-text editor, with an uploaded picture; a payment QR code is refused."""

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from threehours.core.tests.pictures import photo
from threehours.core.timeutil import local_today
from threehours.orgs.tests.factories import approved_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _media(route, settings) -> None:
    name = route.request.url.split("/media/", 1)[1].split("?")[0]
    route.fulfill(path=Path(settings.MEDIA_ROOT) / name)


def _serve_media(page, settings) -> None:
    """The live server runs with DEBUG off and so serves no media; answer from MEDIA_ROOT."""
    page.route("**/media/**", lambda route: _media(route, settings))


def _expect_image_loaded(image) -> None:
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") >= 400


def test_organisation_creates_publishes_and_copies_an_activity(
    browser, live_server, operator, regions, attributes, screenshot_dir, settings, tmp_path
):
    org = approved_org(operator=operator)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _serve_media(page, settings)
    picture, payment_code = tmp_path / "garden.jpg", tmp_path / "pay.jpg"
    photo(size=(1200, 900)).save(picture, quality=88)
    cover = tmp_path / "cover.jpg"  # a real JPEG photo, as a phone would take it
    photo(size=(1600, 1200), noise=40).save(cover, "JPEG", quality=92)
    photo(size=(1200, 900), qr="wxp://f2f0abc").save(payment_code, quality=88)
    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill(org.applicant.email)
    page.get_by_label("密码").fill("Apply-Pass-2026")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name="发布新活动").click()

    day = (local_today() + dt.timedelta(days=14)).isoformat()
    page.get_by_label("活动标题").fill("周末社区图书角整理")
    editor = page.get_by_role("textbox", name="活动描述")
    expect(page.locator("textarea[name=description_html]")).to_be_hidden()
    editor.click()
    page.keyboard.type("和社区的孩子们一起给图书分类、贴标签。")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+b")
    page.keyboard.type("请自带水杯")
    page.keyboard.press("Control+b")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="项目符号列表").click()
    page.keyboard.type("集合地点：图书角门口")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="插入图片").click()
    chooser.value.set_files(payment_code)
    expect(page.get_by_text("图片中含有收款二维码")).to_be_visible()
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="插入图片").click()
    chooser.value.set_files(picture)
    expect(editor.locator("img")).to_have_attribute("src", re.compile(r"^/media/activities/"))
    expect(page.get_by_text("图片中含有收款二维码")).to_be_hidden()
    editor.evaluate("node => { node.scrollTop = 0; }")
    page.get_by_label("开始日期").fill(day)
    page.get_by_label("结束日期").fill(day)
    # The live check (htmx, on change) previews the daily hours, rounded half up, and shows
    # the service's error on its field before anything is saved.
    preview = page.get_by_test_id("hours-preview")
    page.get_by_label("每日签到时间").fill("11:00")
    page.get_by_label("每日签退时间").fill("12:15")
    expect(preview).to_have_text("公益时：每天最多 1.3 小时")
    page.get_by_label("每日签到时间").fill("09:00")
    page.get_by_label("每日签退时间").fill("17:01")  # one minute too long
    expect(page.locator("#errors-checkout_time")).to_contain_text("8 小时")
    expect(preview).not_to_contain_text("最多")
    page.get_by_label("每日签退时间").fill("17:00")
    expect(preview).to_have_text("公益时：每天最多 8.0 小时")
    expect(page.locator("#errors-checkout_time")).to_be_empty()
    page.get_by_label("开始日期").evaluate("node => node.closest('.field').scrollIntoView()")
    page.evaluate("window.scrollBy(0, -140); document.activeElement.blur()")
    page.screenshot(path=screenshot_dir / "org-activity-form.png")
    page.get_by_label("每日签退时间").fill("17:01")  # saving refuses it too, below
    expect(page.locator("#errors-checkout_time")).to_contain_text("8 小时")
    assert not org.activities.exists()  # checking saves nothing
    page.get_by_label("名额").fill("15")
    page.get_by_label("活动类型").select_option(label="团队活动")
    page.get_by_label("公益活动形式").select_option(label="线下-社区服务")
    page.get_by_label("公益领域").select_option(label="教育助学")
    page.get_by_role("checkbox", name="社区", exact=True).check()
    page.get_by_role("checkbox", name="儿童", exact=True).check()
    page.get_by_label("详细地址").fill("漕溪北路 88 号")
    page.get_by_label("省份").select_option(label="上海市")
    expect(page.locator("#id_city option", has_text="市辖区")).to_be_attached()
    page.get_by_role("combobox", name="城市").select_option(label="市辖区")
    expect(page.locator("#id_district option", has_text="徐汇区")).to_be_attached()
    page.get_by_label("区县").select_option(label="徐汇区")
    page.get_by_label("纬度（GCJ-02）").fill("31.188")
    page.get_by_label("经度（GCJ-02）").fill("121.437")
    page.get_by_label("经度（GCJ-02）").blur()
    expect(page.get_by_test_id("map-link")).to_have_attribute(
        "href", re.compile(r"^https://uri\.amap\.com/marker\?position=121\.437%2C31\.188&")
    )
    page.get_by_label("问题 1").fill("T 恤尺码")
    page.get_by_label("选项").first.fill("S, M, L")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("alert").first).to_contain_text("8 小时")
    expect(editor.locator("strong")).to_have_text("请自带水杯")  # the editor got it back
    page.get_by_label("每日签退时间").fill("17:00")
    page.get_by_role("button", name="保存草稿").click()

    expect(page.get_by_test_id("activity-state")).to_contain_text("草稿")
    description = org.activities.get().description_html
    extra = {o.code for o in org.activities.get().extra_attributes.all()}
    assert extra == {"community", "child"}
    assert "<strong>请自带水杯</strong>" in description
    assert "<ul><li>集合地点：图书角门口</li></ul>" in description
    assert '<img src="/media/activities/images/' in description
    assert "&nbsp;" not in description and "ql-" not in description
    expect(page.get_by_text("每天最多 8.0 小时")).to_be_visible()
    expect(page.get_by_test_id("map-link")).to_have_attribute(
        "href", re.compile(r"^https://uri\.amap\.com/marker\?position=121\.437000%2C31\.188000&")
    )
    page.get_by_label(re.compile("与活动主题相关的照片")).set_input_files(cover)
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_text("封面已保存")).to_be_visible()
    _expect_image_loaded(page.get_by_test_id("cover"))
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_test_id("activity-state")).to_contain_text("已发布")
    expect(page.get_by_test_id("share-qr")).to_be_visible()
    _expect_image_loaded(page.get_by_test_id("cover"))
    source = org.activities.get()
    with context.expect_page() as public:
        page.get_by_role("link", name="查看活动页面").click()
    public.value.route("**/media/**", lambda route: _media(route, settings))
    public.value.reload()
    _expect_image_loaded(public.value.locator("img.detail-cover"))
    public.value.close()
    page.screenshot(path=screenshot_dir / "org-activity.png", full_page=True)

    page.get_by_role("button", name="复制").click()
    expect(page).to_have_url(re.compile(r"/activities/\d+/edit/$"))
    expect(page.get_by_label("活动标题")).to_have_value("周末社区图书角整理")
    expect(page.get_by_label("问题 1")).to_have_value("T 恤尺码")
    assert org.activities.count() == 2
    assert org.activities.filter(state="draft").count() == 1
    copy = org.activities.get(state="draft")
    assert copy.cover and copy.cover.name != source.cover.name  # a file of its own
    assert not csp_errors
    context.close()


def test_the_edit_form_says_why_the_time_and_place_are_frozen(
    browser, live_server, operator, regions, attributes, volunteer, screenshot_dir
):
    """Issue #12 §1: after a check-in the console shows the days, times, form and place
    disabled, with the reason; the title can still be changed."""
    from threehours.signups.tests.factories import attended, published_activity

    org = approved_org(operator=operator)
    activity = published_activity(org, title="社区老人智能手机教学", questions=[])
    attended(org, activity, volunteer)
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url
    )
    page = context.new_page()
    page.goto("/org/login/")
    page.get_by_label("电子邮箱").fill(org.applicant.email)
    page.get_by_label("密码").fill("Apply-Pass-2026")
    page.locator("#id_agree").check()
    page.get_by_role("button", name="登录").click()
    page.goto(f"/org/{org.pk}/activities/{activity.pk}/edit/")
    expect(page.get_by_test_id("frozen-note")).to_be_visible()
    for name in ("start_date", "end_date", "checkin_time", "checkout_time", "address"):
        expect(page.locator(f"[name={name}]")).to_be_disabled()
    expect(page.locator("[name=title]")).to_be_enabled()
    page.screenshot(path=screenshot_dir / "org-activity-frozen.png", full_page=True)
    page.locator("[name=title]").fill("社区老人智能手机教学（第二期）")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_text("社区老人智能手机教学（第二期）").first).to_be_visible()
    activity.refresh_from_db()
    assert activity.title == "社区老人智能手机教学（第二期）"
    context.close()
