"""和孩子一起报名 through the API (docs/api.md "Family"): the family in one call, its codes, and the
children in the answers of the volunteer and of the staff."""

import pytest

from threehours.family.tests.factories import child_of, guardian
from threehours.signups.models import Signup, SignupChild

from .factories import published_activity

pytestmark = pytest.mark.django_db


def _path(activity):
    return f"activities/{activity.pk}/registrations"


@pytest.fixture
def parent():
    return guardian("13900000021", name="张妈妈")


@pytest.fixture
def kids(parent):
    return [child_of(parent, age=9, name="张小宝"), child_of(parent, age=6, name="张二宝")]


def _nothing_written(activity):
    activity.refresh_from_db()
    return activity.places_taken == 0 and not Signup.objects.exists()


def test_a_family_registers_in_one_call(api, org, parent, kids):
    activity = published_activity(org, type="parent_child", questions=[])
    client = api.as_user(parent)
    response = client.post(
        _path(activity),
        {"children": [k.pk for k in kids], "commitment_accepted": True, "include_me": True},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed" and body["seats"] == 3
    assert {c["name"] for c in body["children"]} == {"张小宝", "张二宝"}
    mine = client.get("me/registrations").json()["upcoming"]
    assert mine[0]["seats"] == 3 and len(mine[0]["children"]) == 2
    detail = api.get(f"activities/{activity.pk}").json()
    assert detail["places_left"] == activity.places - 3
    assert detail["family"] is True and detail["commitment_text"]


def test_a_single_registration_answers_no_children(api, org, volunteer):
    activity = published_activity(org, questions=[])
    body = api.as_user(volunteer).post(_path(activity), {}).json()
    assert body["seats"] == 1 and body["children"] == []


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"children": "first"}, 400, "invalid_input", None),
        ({"children": [1], "commitment_accepted": False}, 400, "invalid_input", "children"),
        ({"commitment_accepted": False}, 400, "commitment_required", "commitment_accepted"),
        ({"include_me": False, "commitment_accepted": True}, 400, "invalid_input", "include_me"),
    ],
)
def test_family_refusals_carry_their_codes(api, org, parent, kids, payload, status, code, field):
    activity = published_activity(org, type="parent_child", questions=[])
    body = {"children": [kids[0].pk], **payload}
    if payload.get("children") == [1]:
        body["children"] = [guardian("13900000022", name="赵爸爸").pk]
    response = api.as_user(parent).post(_path(activity), body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    if field:
        assert field in response.json()["fields"]
    assert _nothing_written(activity)


def test_another_familys_child_is_refused(api, org, parent, kids):
    activity = published_activity(org, type="parent_child", questions=[])
    theirs = child_of(guardian("13900000023", name="钱爸爸"), name="钱小宝")
    response = api.as_user(parent).post(
        _path(activity), {"children": [theirs.pk], "commitment_accepted": True}
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    assert "children" in response.json()["fields"]
    assert _nothing_written(activity)


def test_a_child_outside_the_age_range_is_named(api, org, parent, kids):
    activity = published_activity(org, type="parent_child", questions=[], child_age_min=7)
    response = api.as_user(parent).post(
        _path(activity), {"children": [k.pk for k in kids], "commitment_accepted": True}
    )
    assert (response.status_code, response.json()["code"]) == (400, "child_age_out_of_range")
    assert "张二宝" in response.json()["message"]
    assert _nothing_written(activity)


def test_the_same_child_twice_is_409(api, org, parent, kids):
    from threehours.family.models import Guardianship

    activity = published_activity(org, type="parent_child", questions=[])
    other = guardian("13900000024", name="张爸爸")
    Guardianship.objects.create(
        child=kids[0],
        guardian=other,
        added_by=parent,
        consent_version="x",
        consented_at=parent.date_joined,
    )
    body = {"children": [kids[0].pk], "commitment_accepted": True}
    assert api.as_user(parent).post(_path(activity), body).status_code == 201
    response = api.as_user(other).post(_path(activity), body)
    assert (response.status_code, response.json()["code"]) == (409, "child_already_registered")
    assert SignupChild.objects.count() == 1 and Signup.objects.count() == 1


def test_staff_see_the_family_with_ages(api, org, parent, kids):
    activity = published_activity(org, type="parent_child", questions=[])
    api.as_user(parent).post(
        _path(activity), {"children": [k.pk for k in kids], "commitment_accepted": True}
    )
    staff = api.as_user(org.applicant)
    body = staff.get(f"orgs/{org.pk}/activities/{activity.pk}/registrations").json()
    [row] = body["items"]
    assert row["seats"] == 3 and body["places_taken"] == 3
    assert [(c["name"], c["age"]) for c in row["children"]] == [("张小宝", 9), ("张二宝", 6)]


def test_the_activity_api_sets_the_family_settings(api, org):
    from threehours.activities.tests.factories import activity_data

    staff = api.as_user(org.applicant)
    data = activity_data(questions=[], child_age_min=6, child_age_max=12, family=True)
    data["commitment"] = "家长全程陪同。"
    response = staff.post(f"orgs/{org.pk}/activities", data)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["family"] and (body["child_age_min"], body["child_age_max"]) == (6, 12)
    assert body["commitment"] == body["commitment_text"] == "家长全程陪同。"
    path = f"orgs/{org.pk}/activities/{body['id']}"
    response = staff.patch(path, {"child_age_max": 18})
    assert response.status_code == 400
    response = staff.patch(path, {"child_age_min": 13})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_input")
    assert "child_age_max" in response.json()["fields"]
    response = staff.patch(path, {"commitment": "x" * 1001})
    assert response.status_code == 400
    response = staff.patch(path, {"child_age_min": 3, "commitment": ""})
    assert response.status_code == 200, response.json()
    assert response.json()["child_age_min"] == 3 and response.json()["commitment_text"]
