"""Family accounts over the API (docs/api.md "Family", issue #14 §1): every error code, another
family's child answers 404, nothing is written on a refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from threehours.accounts.models import User
from threehours.family.models import GuardianInvitation, Guardianship
from threehours.family.selectors import children_of
from threehours.family.tests.factories import child_of, guardian, id_number_born, years_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def mother():
    return guardian("13900000001", name="王妈妈")


@pytest.fixture
def father():
    return guardian("13900000002", name="王爸爸")


def _children_count() -> int:
    return User.objects.filter(guarded=True).count()


def test_a_guardian_adds_lists_and_removes_a_child(api, mother):
    client = api.as_user(mother)
    number = id_number_born(years_ago(9))
    response = client.post("me/children", {"name": "王小宝", "id_number": number, "consent": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "王小宝" and body["age"] == 9 and body["hours"] == 0.0
    assert body["id_number_masked"] == f"{number[:4]}**********{number[-4:]}"
    assert number not in response.content.decode()

    listed = client.get("me/children").json()
    assert listed == {"items": [body]}

    response = client.delete(f"me/children/{body['id']}")
    assert response.status_code == 204
    assert client.get("me/children").json() == {"items": []}


def test_the_list_shows_each_childs_hours(api, mother, operator, regions, attributes):
    from threehours.hours.services import ledger_append
    from threehours.orgs.tests.factories import approved_org
    from threehours.signups.tests.factories import published_activity

    child = child_of(mother)
    activity = published_activity(approved_org(operator=operator))
    with transaction.atomic():
        ledger_append(
            volunteer=child,
            activity=activity,
            day=activity.start_date,
            hours=Decimal("2.5"),
            entry_type="correction",
            actor=activity.organisation.applicant,
            reason="test",
        )
    client = api.as_user(mother)
    [item] = client.get("me/children").json()["items"]
    assert item["hours"] == 2.5
    response = client.delete(f"me/children/{child.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "child_has_records"
    assert list(children_of(guardian=mother)) == [child]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"consent": False}, 400, "consent_required", "consent"),
        ({"id_number": "110105201001010000"}, 400, "invalid_id_number", "id_number"),
        ({"born_years": 18}, 400, "child_too_old", "id_number"),
        ({"name": "7"}, 400, "invalid_input", "name"),
        ({"consent": "yes"}, 400, "invalid_input", "consent"),
        ({"name": "x" * 61}, 400, "invalid_input", "name"),
    ],
)
def test_refusals_write_nothing(api, mother, body, status, code, field):
    payload = {"name": "王小宝", "id_number": id_number_born(years_ago(5)), "consent": True}
    born_years = body.pop("born_years", None)
    if born_years:
        payload["id_number"] = id_number_born(years_ago(born_years))
    payload.update(body)
    response = api.as_user(mother).post("me/children", payload)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert field in response.json()["fields"]
    assert _children_count() == 0


def test_a_guardian_too_young_or_without_real_name(api, volunteer):
    payload = {"name": "王小宝", "id_number": id_number_born(years_ago(5)), "consent": True}
    response = api.as_user(volunteer).post("me/children", payload)
    assert response.status_code == 400 and response.json()["code"] == "guardian_too_young"
    young = guardian("13900000005", age=22)
    response = api.as_user(young).post("me/children", payload)
    assert response.status_code == 400 and response.json()["code"] == "guardian_too_young"
    assert _children_count() == 0


def test_a_child_in_another_family_is_a_conflict(api, mother, father):
    number = id_number_born(years_ago(5))
    payload = {"name": "王小宝", "id_number": number, "consent": True}
    assert api.as_user(mother).post("me/children", payload).status_code == 201
    response = api.as_user(father).post("me/children", payload)
    assert response.status_code == 409
    assert response.json()["code"] == "child_already_in_family"
    assert "fields" not in response.json()
    assert _children_count() == 1


def test_another_familys_child_is_not_found_everywhere(api, mother, father):
    child = child_of(mother)
    client = api.as_user(father)
    assert client.get("me/children").json() == {"items": []}
    for response in (
        client.delete(f"me/children/{child.pk}"),
        client.post(f"me/children/{child.pk}/guardians", {"phone": "13900000002"}),
        client.get(f"me/children/{child.pk}/guardian-invitations"),
        client.delete(f"me/children/{child.pk}/guardian-invitations/1"),
        client.delete("me/children/999999"),
    ):
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert User.objects.filter(pk=child.pk).exists()
    assert not GuardianInvitation.objects.exists()


def test_the_second_guardian_is_invited_and_accepts(api, mother, father):
    child = child_of(mother)
    response = api.as_user(mother).post(
        f"me/children/{child.pk}/guardians", {"phone": "13900000002"}
    )
    assert response.status_code == 201, response.content
    invitation = response.json()
    assert invitation["phone_masked"] == "139****0002" and invitation["status"] == "pending"
    assert invitation["child"] == {"id": child.pk, "name": "王小宝", "age": 8}

    client = api.as_user(father)
    assert client.get("me/guardian-invitations").json()["items"] == [invitation]
    assert api.as_user(mother).get("me/guardian-invitations").json()["items"] == []

    response = client.post(f"me/guardian-invitations/{invitation['id']}/accept", {})
    assert response.status_code == 400 and response.json()["code"] == "consent_required"
    assert list(children_of(guardian=father)) == []

    response = client.post(f"me/guardian-invitations/{invitation['id']}/accept", {"consent": True})
    assert response.status_code == 200, response.content
    assert response.json()["child"]["id"] == child.pk
    assert [c["id"] for c in client.get("me/children").json()["items"]] == [child.pk]

    response = client.post(f"me/guardian-invitations/{invitation['id']}/decline")
    assert response.status_code == 409 and response.json()["code"] == "invitation_closed"


@pytest.mark.parametrize(
    ("phone", "status", "code"),
    [
        ("12345", 400, "invalid_phone"),
        ("13900000001", 409, "already_guardian"),
    ],
)
def test_invitation_refusals(api, mother, phone, status, code):
    child = child_of(mother)
    response = api.as_user(mother).post(f"me/children/{child.pk}/guardians", {"phone": phone})
    assert response.status_code == status and response.json()["code"] == code
    assert not GuardianInvitation.objects.exists()


def test_a_second_pending_invitation_and_a_full_family_are_conflicts(api, mother, father):
    child = child_of(mother)
    client = api.as_user(mother)
    first = client.post(f"me/children/{child.pk}/guardians", {"phone": "13900000002"}).json()
    response = client.post(f"me/children/{child.pk}/guardians", {"phone": "13900000002"})
    assert response.status_code == 409 and response.json()["code"] == "invitation_pending"
    api.as_user(father).post(f"me/guardian-invitations/{first['id']}/accept", {"consent": True})
    response = client.post(f"me/children/{child.pk}/guardians", {"phone": "13900000003"})
    assert response.status_code == 409 and response.json()["code"] == "guardians_full"
    assert GuardianInvitation.objects.count() == 1


def test_the_inviter_withdraws_and_others_cannot_answer(api, mother, father):
    child = child_of(mother)
    client = api.as_user(mother)
    invitation = client.post(f"me/children/{child.pk}/guardians", {"phone": "13900000002"}).json()
    stranger = guardian("13900000003", name="李四")
    for user in (stranger, mother):
        response = api.as_user(user).post(
            f"me/guardian-invitations/{invitation['id']}/accept", {"consent": True}
        )
        assert response.status_code == 404
        response = api.as_user(user).post(f"me/guardian-invitations/{invitation['id']}/decline")
        assert response.status_code == 404
    listed = client.get(f"me/children/{child.pk}/guardian-invitations").json()["items"]
    assert [i["id"] for i in listed] == [invitation["id"]]
    response = client.delete(f"me/children/{child.pk}/guardian-invitations/{invitation['id']}")
    assert response.status_code == 204
    response = api.as_user(father).post(
        f"me/guardian-invitations/{invitation['id']}/accept", {"consent": True}
    )
    assert response.status_code == 409 and response.json()["code"] == "invitation_closed"
    assert Guardianship.objects.filter(child=child).count() == 1


def test_a_young_second_guardian_is_refused(api, mother):
    child = child_of(mother)
    young = guardian("13900000002", age=22)
    invitation = (
        api.as_user(mother).post(f"me/children/{child.pk}/guardians", {"phone": young.phone}).json()
    )
    response = api.as_user(young).post(
        f"me/guardian-invitations/{invitation['id']}/accept", {"consent": True}
    )
    assert response.status_code == 400 and response.json()["code"] == "guardian_too_young"
    assert list(children_of(guardian=young)) == []


def test_the_declined_invitation(api, mother, father):
    child = child_of(mother)
    invitation = (
        api.as_user(mother)
        .post(f"me/children/{child.pk}/guardians", {"phone": father.phone})
        .json()
    )
    response = api.as_user(father).post(f"me/guardian-invitations/{invitation['id']}/decline")
    assert response.status_code == 204
    assert GuardianInvitation.objects.get().status == "declined"


def test_anonymous_is_unauthorised(api):
    assert api.get("me/children").status_code == 401
    assert api.post("me/children", {}).status_code == 401


def test_openapi_lists_the_family_paths(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/me/children"])
    assert "delete" in paths["/api/v1/me/children/{child_id}"]
    assert "post" in paths["/api/v1/me/children/{child_id}/guardians"]
    assert "get" in paths["/api/v1/me/guardian-invitations"]
    assert "post" in paths["/api/v1/me/guardian-invitations/{invitation_id}/accept"]


def test_the_list_reads_in_a_fixed_number_of_queries(api, mother):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api.as_user(mother)
    child_of(mother, name="王一宝", age=3)
    with CaptureQueriesContext(connection) as one:
        client.get("me/children")
    child_of(mother, name="王二宝", age=4)
    child_of(mother, name="王三宝", age=5)
    with CaptureQueriesContext(connection) as three:
        assert len(client.get("me/children").json()["items"]) == 3
    assert len(three) == len(one)
