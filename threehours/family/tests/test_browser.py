"""我的小宝 in Debian's Chromium at a phone's size (issue #14 §1): a guardian adds two children
on the pages, uploads a photo and invites the other parent; screenshots of each page."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from .factories import guardian, id_number_born, years_ago

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _session_cookie(user, live_server):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


def _png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (255, 214, 170))
    draw = ImageDraw.Draw(image)
    draw.ellipse((200, 100, 440, 380), fill=(250, 190, 140))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_guardian_adds_two_children_on_a_phone(browser, live_server, screenshot_dir):
    parent = guardian("13900000001", name="王妈妈")
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
    )
    context.add_cookies([_session_cookie(parent, live_server)])
    page = context.new_page()
    page.goto("/me/")
    page.get_by_role("link", name=re.compile("我的小宝")).click()
    expect(page.get_by_role("heading", name="我的小宝")).to_be_visible()
    page.get_by_role("link", name="添加小宝").click()

    first = id_number_born(years_ago(9, days=-40))
    page.get_by_label("小宝姓名").fill("王小宝")
    page.get_by_label("小宝身份证号").fill(first)
    page.get_by_role("button", name="添加").click()
    # Without the consent box ticked: the error is on it and the values are kept.
    expect(page.get_by_role("alert").first).to_contain_text("同意书")
    expect(page.get_by_label("小宝身份证号")).to_have_value(first)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "family-child-add.png", full_page=True)
    page.get_by_label(re.compile("我是小宝的监护人")).check()
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_test_id("child")).to_have_count(1)

    page.get_by_role("link", name="添加小宝").click()
    page.get_by_label("小宝姓名").fill("王小贝")
    page.get_by_label("小宝身份证号").fill(id_number_born(years_ago(5, days=-100)))
    page.get_by_label(re.compile("我是小宝的监护人")).check()
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_test_id("child")).to_have_count(2)
    expect(page.get_by_test_id("children")).to_contain_text(f"{first[:4]}**********{first[-4:]}")
    assert first not in page.content()

    page.get_by_test_id("child").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="王小宝")).to_be_visible()
    page.get_by_label("照片").set_input_files(
        {"name": "face.png", "mimeType": "image/png", "buffer": _png()}
    )
    page.get_by_role("button", name="上传照片").click()
    expect(page.get_by_role("button", name="更换照片")).to_be_visible()
    page.get_by_label("另一位监护人的手机号").fill("13900000002")
    page.get_by_role("button", name="发送邀请").click()
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("139****0002")
    page.get_by_text("删除…").click()
    expect(page.get_by_test_id("child-remove")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshot_dir / "family-child.png", full_page=True)

    page.get_by_role("link", name=re.compile("我的小宝")).first.click()
    expect(page.get_by_test_id("child")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=screenshot_dir / "family-children.png", full_page=True)
    context.close()

    # The other parent, reading English, accepts the invitation with their own consent.
    other = guardian("13900000002", name="王爸爸")
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        base_url=live_server.url,
    )
    context.add_cookies([_session_cookie(other, live_server)])
    page = context.new_page()
    page.goto("/me/children/")
    invitation = page.get_by_test_id("invitation")
    expect(invitation).to_contain_text("王妈妈 invites you to be a guardian of 王小宝")
    invitation.get_by_text("Accept…").click()
    invitation.get_by_role("button", name="Accept and become a guardian").click()
    expect(page.get_by_role("alert").first).to_contain_text("consent")
    # The refused form stays open, with the error beside the box.
    page.get_by_label(re.compile("I am the child's guardian")).check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header at the top of the picture
    page.screenshot(path=screenshot_dir / "family-invitation-en.png", full_page=True)
    page.get_by_role("button", name="Accept and become a guardian").click()
    expect(page.get_by_test_id("child")).to_have_count(1)
    expect(page.get_by_test_id("child")).to_contain_text(
        "王妈妈 (139****0001), 王爸爸 (139****0002)"
    )
    context.close()
