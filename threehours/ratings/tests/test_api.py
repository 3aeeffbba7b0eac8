from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from threehours.orgs.tests.factories import applicant, approved_org
from threehours.ratings.models import Rating
from threehours.signups.tests.factories import published_activity, volunteers

from .factories import after_end, credited_volunteer, jpeg_upload

pytestmark = pytest.mark.django_db


def _upload(client, rating_id, upload):
    return client.client.post(
        f"/api/v1/ratings/{rating_id}/photos", {"file": upload}, headers=client._headers()
    )


def test_api_rate_list_and_photo(api, org):
    activity, person = credited_volunteer(org)
    me = api.as_user(person)
    with after_end(activity, 1):
        r = me.post(f"activities/{activity.pk}/ratings", {"stars": 4, "text": "不错"})
        assert r.status_code == 201, r.content
        rating_id = r.json()["id"]
        r = _upload(me, rating_id, jpeg_upload())
        assert r.status_code == 201, r.content
        assert Client().get(r.json()["url"]).status_code == 200
        r = me.post(f"activities/{activity.pk}/ratings", {"stars": 4, "text": "again"})
        assert (r.status_code, r.json()["code"]) == (409, "already_rated")
    body = api.get(f"activities/{activity.pk}/ratings").json()
    assert body["average"] == 4.0 and body["count"] == 1
    assert body["items"][0]["text"] == "不错" and len(body["items"][0]["photos"]) == 1


def test_api_rate_refusals(api, org):
    activity = published_activity(org, questions=[])
    (person,) = volunteers(1)
    me = api.as_user(person)
    with after_end(activity, 1):
        r = me.post(f"activities/{activity.pk}/ratings", {"stars": 5, "text": ""})
        assert (r.status_code, r.json()["code"]) == (409, "not_credited")
    activity, person = credited_volunteer(org, start=5)
    with after_end(activity, 31):
        me = api.as_user(person)
        r = me.post(f"activities/{activity.pk}/ratings", {"stars": 5, "text": ""})
        assert (r.status_code, r.json()["code"]) == (409, "rating_closed")
    with after_end(activity, 1):
        me = api.as_user(person)
        for stars in (0, 6, 3.5, "4", True):
            r = me.post(f"activities/{activity.pk}/ratings", {"stars": stars, "text": ""})
            assert r.status_code == 400, stars
        r = me.post(f"activities/{activity.pk}/ratings", {"stars": 3, "text": "字" * 501})
        assert (r.status_code, r.json()["code"]) == (400, "invalid_input")
    assert not Rating.objects.exists()
    assert api.post(f"activities/{activity.pk}/ratings", {"stars": 3}).status_code == 401


def test_api_photos_limit_and_bad_file(api, org):
    activity, person = credited_volunteer(org)
    me = api.as_user(person)
    with after_end(activity, 1):
        rating_id = me.post(f"activities/{activity.pk}/ratings", {"stars": 4}).json()["id"]
        bad = SimpleUploadedFile("a.jpg", b"<?php echo 1;", "image/jpeg")
        r = _upload(me, rating_id, bad)
        assert (r.status_code, r.json()["code"]) == (400, "invalid_image")
        for _ in range(6):
            assert _upload(me, rating_id, jpeg_upload()).status_code == 201
        r = _upload(me, rating_id, jpeg_upload())
        assert (r.status_code, r.json()["code"]) == (409, "too_many_photos")
        (other,) = volunteers(1, start=30)
        assert _upload(api.as_user(other), rating_id, jpeg_upload()).status_code == 404


def test_api_edit_within_seven_days_only(api, org):
    activity, person = credited_volunteer(org)
    me = api.as_user(person)
    with after_end(activity, 1) as traveller:
        rating_id = me.post(f"activities/{activity.pk}/ratings", {"stars": 2}).json()["id"]
        traveller.shift(dt.timedelta(days=6, hours=23))
        r = me.patch(f"ratings/{rating_id}", {"stars": 5, "text": "改了"})
        assert r.status_code == 200 and r.json()["stars"] == 5
        traveller.shift(dt.timedelta(days=1, hours=2))
        r = me.patch(f"ratings/{rating_id}", {"stars": 1, "text": ""})
        assert (r.status_code, r.json()["code"]) == (409, "edit_closed")
    activity.refresh_from_db()
    assert activity.rating_sum == 5


def test_api_reply_once_and_other_org_is_404(api, org, operator):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating_id = (
            api.as_user(person).post(f"activities/{activity.pk}/ratings", {"stars": 5}).json()["id"]
        )
    other = approved_org(operator=operator, user=applicant("other@example.org"), name="别的协会")
    r = api.as_user(other.applicant).post(
        f"orgs/{other.pk}/ratings/{rating_id}/reply", {"text": "hi"}
    )
    assert r.status_code == 404
    r = api.as_user(other.applicant).post(f"orgs/{org.pk}/ratings/{rating_id}/reply", {"text": "x"})
    assert r.status_code == 404
    staff = api.as_user(org.applicant)
    r = staff.post(f"orgs/{org.pk}/ratings/{rating_id}/reply", {"text": "谢谢"})
    assert r.status_code == 200 and r.json()["reply"]["text"] == "谢谢"
    r = staff.post(f"orgs/{org.pk}/ratings/{rating_id}/reply", {"text": "再次"})
    assert (r.status_code, r.json()["code"]) == (409, "already_replied")


def test_api_hide_by_operator_with_reason(api, org, operator):
    activity, person = credited_volunteer(org)
    with after_end(activity, 1):
        rating_id = (
            api.as_user(person).post(f"activities/{activity.pk}/ratings", {"stars": 5}).json()["id"]
        )
    r = api.as_user(org.applicant).post(f"ops/ratings/{rating_id}/hide", {"reason": "x"})
    assert r.status_code == 403
    ops = api.as_user(operator)
    r = ops.post(f"ops/ratings/{rating_id}/hide", {"reason": ""})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_input")
    r = ops.post(f"ops/ratings/{rating_id}/hide", {"reason": "不实内容"})
    assert r.status_code == 200 and r.json()["hidden"] is True
    body = api.get(f"activities/{activity.pk}/ratings").json()
    assert body == {"average": None, "count": 0, "items": [], "next_cursor": None}
