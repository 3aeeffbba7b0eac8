"""A volunteer on a phone finds an activity by keyword and by "near me", opens it, and its
share QR code leads back to it (issue #4 acceptance, volunteer half)."""

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from threehours.activities import services
from threehours.orgs.tests.factories import approved_org

from .factories import activity_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def published(operator, regions, attributes):
    org = approved_org(operator=operator)
    near = services.activity_create(
        org=org, user=org.applicant, data=activity_data(title="徐汇滨江垃圾分类宣传")
    )
    far = services.activity_create(
        org=org,
        user=org.applicant,
        data=activity_data(title="深圳医院导诊志愿服务", district="440305", lat=22.533, lng=113.93),
    )
    for activity in (near, far):
        services.activity_publish(activity=activity, user=org.applicant)
    return near, far


def test_volunteer_finds_an_activity_by_keyword_and_near_me(
    browser, live_server, settings, published, screenshot_dir
):
    settings.SITE_URL = live_server.url
    near, far = published
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
        geolocation={"latitude": 31.1900, "longitude": 121.4330},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_text("徐汇滨江垃圾分类宣传")).to_be_visible()
    expect(page.get_by_text("深圳医院导诊志愿服务")).to_be_visible()
    page.get_by_role("button", name="附近").click()
    expect(page.get_by_role("heading", name="你附近的近期活动")).to_be_visible()
    expect(page.locator(".activity-card")).to_have_count(1)
    expect(page.locator(".activity-card")).to_contain_text("徐汇滨江垃圾分类宣传")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "volunteer-home-near-me.png", full_page=True)
    page.get_by_role("searchbox").fill("垃圾分类")
    page.get_by_role("button", name="搜索").click()
    results = page.locator("#results .activity-card")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("徐汇滨江垃圾分类宣传")

    page.goto("/activities/")
    expect(page.locator("#results .activity-card")).to_have_count(2)
    page.get_by_role("button", name="附近").click()
    expect(page).to_have_url(re.compile(r"lat=31\.19"))
    expect(page.locator("#results .activity-card")).to_have_count(1)
    expect(page.locator("#results")).not_to_contain_text("深圳")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "volunteer-activities.png", full_page=True)

    page.get_by_label("排序").select_option("nearest")
    page.get_by_label("有名额").check()
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"sort=nearest.*has_places=1"))
    expect(page.locator("#results .activity-card")).to_have_count(1)
    expect(page.get_by_label("排序")).to_have_value("nearest")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "volunteer-activities-sorted.png", full_page=True)

    page.get_by_text("徐汇滨江垃圾分类宣传").click()
    expect(page.get_by_role("heading", name="徐汇滨江垃圾分类宣传")).to_be_visible()
    expect(page.get_by_test_id("register")).to_contain_text("登录后报名")
    page.screenshot(path=screenshot_dir / "volunteer-activity.png", full_page=True)

    qr = page.request.get(f"/activities/{near.pk}/share-qr.svg")
    assert qr.ok and qr.headers["content-type"] == "image/svg+xml"
    png = page.request.get(f"/activities/{near.pk}/share-qr.png")
    assert png.ok and png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.body())) as picture:
        decoded = [code.text for code in zxingcpp.read_barcodes(picture)]
    assert decoded == [f"{live_server.url}/activities/{near.pk}/"]
    context.close()
