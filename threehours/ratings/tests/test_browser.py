"""Issue #15 §1 in Chromium: a volunteer rates a finished activity with a photo on a phone and
sees the share card; the activity page shows the average; staff reply in the console."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from threehours.attendance.tests.test_browser import _session_cookie
from threehours.ratings.models import Rating

from .factories import after_end, credited_volunteer, jpeg_upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser, live_server):
    return browser.new_context(
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        base_url=live_server.url,
    )


def test_volunteer_rates_with_a_photo_and_staff_reply(
    browser, live_server, org, operator, screenshot_dir, tmp_path
):
    activity, person = credited_volunteer(org)
    activity.title = "社区图书角整理"
    activity.save(update_fields=["title"])
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_upload(size=(1200, 900)).read())

    with after_end(activity, 2):
        phone = _phone(browser, live_server)
        phone.add_cookies([_session_cookie(person, live_server)])
        page = phone.new_page()
        page.goto("/me/activities/?tab=finished")
        page.get_by_test_id("rate").click()
        form = page.get_by_test_id("rating-form")
        expect(form).to_be_visible()
        page.get_by_test_id("star-4").click()
        form.locator("textarea[name=text]").fill("整理了三百多本书，孩子们很开心，下次还来！")
        page.get_by_test_id("photos").set_input_files(str(photo))
        page.screenshot(path=screenshot_dir / "ratings-form.png", full_page=True)
        page.get_by_test_id("rating-submit").click()
        expect(page.get_by_test_id("share-card")).to_be_visible()
        rating = Rating.objects.get()
        assert rating.stars == 4 and rating.photos.count() == 1
        png = page.request.get(f"/ratings/{rating.pk}/share.png")
        assert png.ok and png.body()[:8] == b"\x89PNG\r\n\x1a\n"
        (screenshot_dir / "ratings-share-card.png").write_bytes(png.body())
        page.screenshot(path=screenshot_dir / "ratings-share-page.png", full_page=True)

        page.goto(f"/activities/{activity.pk}/")
        expect(page.get_by_test_id("rating-average")).to_have_text("4.0")
        expect(page.get_by_test_id("rating-badge")).to_contain_text("4.0")
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top
        page.screenshot(path=screenshot_dir / "ratings-activity-page.png", full_page=True)

        laptop = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
        )
        laptop.add_cookies([_session_cookie(org.applicant, live_server)])
        console = laptop.new_page()
        console.goto(f"/org/{org.pk}/ratings/")
        reply = console.get_by_test_id("reply-form")
        reply.locator("textarea").fill("谢谢你的参与和照片，期待下次再见！")
        reply.locator("button").click()
        expect(console.get_by_test_id("rating-reply")).to_be_visible()
        console.screenshot(path=screenshot_dir / "ratings-console.png", full_page=True)
        console.goto(f"/org/{org.pk}/activities/{activity.pk}/")
        expect(console.get_by_test_id("ratings-link")).to_contain_text("1")
        rating.refresh_from_db()
        assert rating.reply_text.startswith("谢谢")

        page.goto(f"/activities/{activity.pk}/ratings/")
        expect(page.get_by_test_id("rating-reply")).to_be_visible()
        page.screenshot(path=screenshot_dir / "ratings-list.png", full_page=True)

        page.goto(f"/orgs/{org.pk}/")
        expect(page.get_by_test_id("rating-average")).to_have_text("4.0")
        page.screenshot(path=screenshot_dir / "ratings-org-page.png", full_page=True)

        ops = browser.new_context(
            viewport={"width": 1280, "height": 800}, locale="zh-CN", base_url=live_server.url
        )
        ops.add_cookies([_session_cookie(operator, live_server)])
        ops_page = ops.new_page()
        ops_page.goto("/ops/ratings/")
        expect(ops_page.get_by_test_id("hide-form")).to_be_visible()
        ops_page.screenshot(path=screenshot_dir / "ratings-ops.png", full_page=True)
