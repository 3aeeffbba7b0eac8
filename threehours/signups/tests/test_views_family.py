"""和孩子一起报名 on the activity page: my children with ages, those outside the range not
selectable, the commitment, one submit; the family shown once registered."""

import pytest
from django.test import Client

from threehours.family.tests.factories import child_of, guardian
from threehours.signups.models import Signup

from .factories import published_activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent():
    return guardian("13900000031", name="陈妈妈")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _page(client, activity):
    return client.get(f"/activities/{activity.pk}/").content.decode()


def test_the_family_box_lists_my_children_with_the_range(org, parent):
    activity = published_activity(org, type="parent_child", questions=[], child_age_min=6)
    big = child_of(parent, age=9, name="陈大宝")
    small = child_of(parent, age=4, name="陈小宝")
    page = _page(_client(parent), activity)
    assert "和孩子一起报名" in page and "我已阅读并同意报名承诺" in page
    assert "陈大宝" in page and "9 岁" in page and "陈小宝" in page
    assert f'value="{big.pk}">' in page
    assert f'value="{small.pk}" disabled>' in page and "不在年龄范围内（6 周岁及以上）" in page
    assert "报名承诺" in page and "我本人为孩子报名并陪同参加" in page  # the platform default


def test_an_ordinary_activity_has_no_family_box(org, parent):
    child_of(parent)
    activity = published_activity(org, questions=[])
    assert 'data-testid="family-box"' not in _page(_client(parent), activity)


def test_without_children_the_box_points_to_adding_one(org, volunteer):
    activity = published_activity(org, type="parent_child", questions=[], commitment="自定义承诺")
    page = _page(_client(volunteer), activity)
    assert 'data-testid="no-children"' in page and "自定义承诺" not in page


def test_the_organisers_commitment_is_shown(org, parent):
    child_of(parent)
    activity = published_activity(org, type="parent_child", questions=[], commitment="请自备水杯")
    assert "请自备水杯" in _page(_client(parent), activity)


def test_register_the_family_in_one_submit(org, parent):
    activity = published_activity(org, type="parent_child", questions=[])
    kids = [child_of(parent, age=9, name="陈大宝"), child_of(parent, age=6, name="陈二宝")]
    client = _client(parent)
    url = f"/activities/{activity.pk}/register/"
    response = client.post(url, {"children": [k.pk for k in kids]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "请阅读报名承诺，并勾选同意。" in page and not Signup.objects.exists()
    assert f'value="{kids[0].pk}" checked>' in page  # the choice survives the error
    response = client.post(
        url, {"children": [k.pk for k in kids], "commitment_accepted": "1"}, follow=True
    )
    page = response.content.decode()
    signup = Signup.objects.get()
    assert signup.seats == 3
    assert "与你一起报名：陈大宝、陈二宝（共 3 个名额）" in page
    assert "同行：陈大宝、陈二宝 · 共 3 个名额" in page
    mine = client.get("/me/activities/").content.decode()
    assert "同行的孩子" in mine and "陈大宝、陈二宝" in mine


def test_another_familys_child_from_the_page_is_refused(org, parent):
    activity = published_activity(org, type="parent_child", questions=[])
    theirs = child_of(guardian("13900000032", name="周爸爸"), name="周小宝")
    response = _client(parent).post(
        f"/activities/{activity.pk}/register/",
        {"children": [theirs.pk], "commitment_accepted": "1"},
    )
    assert "你的家庭中没有这个孩子。" in response.content.decode()
    assert not Signup.objects.exists()


def test_a_child_out_of_range_posted_anyway_is_refused(org, parent):
    activity = published_activity(org, type="parent_child", questions=[], child_age_max=5)
    child = child_of(parent, age=9, name="陈大宝")
    response = _client(parent).post(
        f"/activities/{activity.pk}/register/",
        {"children": [child.pk], "commitment_accepted": "1"},
    )
    assert "陈大宝 在活动首日为 9 周岁" in response.content.decode()
    assert not Signup.objects.exists()


def test_registering_alone_on_a_family_activity_needs_no_commitment(org, parent):
    child_of(parent)
    activity = published_activity(org, type="parent_child", questions=[])
    _client(parent).post(f"/activities/{activity.pk}/register/", {})
    assert Signup.objects.get().seats == 1
