"""Families for the activity's staff (issue #14 §2): one group on the registrant page, with the
children and their ages, decisions acting on the whole family, and one export row per person."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from threehours.family.tests.factories import child_of, guardian
from threehours.reporting import export_services
from threehours.signups import services
from threehours.signups.models import Signup, SignupChild

from .factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def family(org):
    activity = published_activity(org, type="parent_child", questions=[], places=10)
    parent = guardian("13900000041", name="刘妈妈")
    kids = [child_of(parent, age=10, name="刘大宝"), child_of(parent, age=7, name="刘二宝")]
    [single] = volunteers(1)
    single.real_name = "孙志愿"
    single.save(update_fields=["real_name"])
    services.signup_create(activity=activity, volunteer=single)
    signup = services.signup_create(
        activity=activity, volunteer=parent, children=[k.pk for k in kids], commitment_accepted=True
    )
    return activity, signup


def test_the_registrant_page_groups_the_family(org, family, django_assert_max_num_queries):
    activity, signup = family
    staff = _client(org.applicant)
    url = f"/org/{org.pk}/activities/{activity.pk}/registrants/"
    staff.get(url)
    with django_assert_max_num_queries(12):
        page = staff.get(url).content.decode()
    assert page.count('data-testid="registrant"') == 2  # one row per registration
    row = page.split('data-testid="registrant"')[2]
    assert "刘妈妈" in row and "3 人" in row
    assert "刘大宝 · 10 岁" in row and "刘二宝 · 7 岁" in row and "小宝" in row
    assert "此操作作用于整个家庭（3 人）。" in row
    assert "已占 4 / 10 个名额" in page


def test_removing_the_family_from_the_page_frees_every_place(org, family):
    activity, signup = family
    staff = _client(org.applicant)
    staff.post(f"/org/{org.pk}/registrations/{signup.pk}/remove/", {"reason": "年龄不符"})
    signup.refresh_from_db()
    activity.refresh_from_db()
    assert signup.status == "removed" and activity.places_taken == 1
    assert not SignupChild.objects.filter(live=True).exists()


def test_another_organisation_cannot_see_or_decide_the_family(operator, family):
    from threehours.orgs.tests.factories import applicant, approved_org

    activity, signup = family
    other = approved_org(operator=operator, user=applicant("other@example.org"))
    staff = _client(other.applicant)
    assert staff.get(f"/org/{other.pk}/activities/{activity.pk}/registrants/").status_code == 404
    response = staff.post(f"/org/{other.pk}/registrations/{signup.pk}/remove/", {"reason": "x"})
    assert response.status_code == 404
    assert Signup.objects.get(pk=signup.pk).status == "confirmed"


def test_the_export_has_a_row_per_person_naming_the_family(family):
    activity, _signup = family
    assert export_services.registrants_count(activity=activity) == 4
    _name, _type, content = export_services.registrants_export(activity=activity, fmt="xlsx")
    ws = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[1]]
    assert header[5:7] == ["家庭（监护人）", "小宝"]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    names = [r[header[0]] for r in rows]
    assert names == ["孙志愿", "刘妈妈", "刘大宝", "刘二宝"]
    single, parent, big, small = rows
    assert single["家庭（监护人）"] in (None, "") and single["小宝"] in (None, "")
    assert parent["家庭（监护人）"] == "刘妈妈" and parent[header[3]] == 3
    assert (big["家庭（监护人）"], big["小宝"]) == ("刘妈妈", "小宝，10 岁")
    assert small["小宝"] == "小宝，7 岁" and small[header[1]] in (None, "")
    # The places column adds up to the places taken.
    activity.refresh_from_db()
    assert sum(r[header[3]] or 0 for r in rows) == activity.places_taken == 4
    _name, _type, content = export_services.registrants_export(activity=activity, fmt="csv")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(lines) == 5 and lines[3][6] == "小宝，10 岁"


def test_an_ordinary_activitys_export_keeps_its_columns(org):
    activity = published_activity(org, questions=[])
    [person] = volunteers(1)
    services.signup_create(activity=activity, volunteer=person)
    _name, _type, content = export_services.registrants_export(activity=activity, fmt="csv")
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert "小宝" not in header and len(header) == 6
