"""The incentive endpoints of docs/api.md "After the activity"."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from threehours.core.timeutil import local_today
from threehours.rewards.models import Incentive, IncentiveCode, Redemption

from .factories import active_incentive, give_hours

pytestmark = pytest.mark.django_db


def _body(**overrides) -> dict:
    today = local_today()
    body = {
        "title": "影院观影券",
        "partner": "星光影城",
        "hours_required": 10,
        "stock": 5,
        "valid_from": today.isoformat(),
        "valid_until": today.replace(year=today.year + 1).isoformat(),
        "per_volunteer_limit": "monthly",
    }
    body.update(overrides)
    return body


def test_catalogue_says_what_is_eligible(api, org, operator, volunteer):
    give_hours(org, volunteer, "3.0")
    cheap = active_incentive(actor=operator, hours_required=Decimal("3.0"), title="便宜")
    dear = active_incentive(actor=operator, hours_required=Decimal("3.1"), title="贵")
    response = api.as_user(volunteer).get("incentives")
    assert response.status_code == 200
    items = {i["id"]: i for i in response.json()["items"]}
    assert items[cheap.pk]["eligible"] is True and items[cheap.pk]["stock_left"] == 10
    assert items[dear.pk]["eligible"] is False
    assert items[dear.pk]["hours_missing"] == 0.1 and items[dear.pk]["hours_required"] == 3.1


def test_catalogue_is_paginated(api, operator, volunteer):
    for i in range(3):
        active_incentive(actor=operator, title=f"第{i}个", codes=1)
    client = api.as_user(volunteer)
    first = client.get("incentives?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"incentives?limit=2&cursor={first['next_cursor']}").json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None


def test_redeem_gives_the_code_and_my_redemptions_lists_it(api, operator, volunteer):
    incentive = active_incentive(actor=operator, hours_required=Decimal("0"))
    client = api.as_user(volunteer)
    response = client.post(f"incentives/{incentive.pk}/redeem")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] and body["expires_at"]
    assert IncentiveCode.objects.get(code=body["code"]).used_at is not None
    mine = client.get("me/redemptions").json()["items"]
    assert [m["code"] for m in mine] == [body["code"]]
    again = client.post(f"incentives/{incentive.pk}/redeem")
    assert (again.status_code, again.json()["code"]) == (409, "limit_reached")


@pytest.mark.parametrize(
    ("setup", "code"),
    [("hours", "not_enough_hours"), ("stock", "out_of_stock"), ("closed", "incentive_closed")],
)
def test_redeem_refusals_are_409_with_their_code(api, operator, volunteer, outsider, setup, code):
    from threehours.rewards import services

    incentive = active_incentive(
        actor=operator, hours_required=Decimal("1" if setup == "hours" else "0"), codes=1
    )
    if setup == "stock":
        services.reward_redeem(incentive=incentive, volunteer=outsider)
    if setup == "closed":
        services.incentive_close(incentive=incentive, actor=operator)
    response = api.as_user(volunteer).post(f"incentives/{incentive.pk}/redeem")
    assert (response.status_code, response.json()["code"]) == (409, code)


def test_a_draft_and_an_unknown_incentive_are_404(api, operator, volunteer):
    from threehours.rewards import services

    from .factories import data

    draft = services.incentive_create(data=data(), actor=operator)
    client = api.as_user(volunteer)
    assert client.post(f"incentives/{draft.pk}/redeem").status_code == 404
    assert client.post("incentives/999999/redeem").status_code == 404


def test_an_org_incentive_is_hidden_from_volunteers_without_hours_there(api, org, volunteer):
    incentive = active_incentive(actor=org.applicant, org=org, hours_required=Decimal("0"))
    client = api.as_user(volunteer)
    assert client.get("incentives").json()["items"] == []
    assert client.post(f"incentives/{incentive.pk}/redeem").status_code == 404
    give_hours(org, volunteer, "0.1")
    assert [i["id"] for i in client.get("incentives").json()["items"]] == [incentive.pk]
    assert client.post(f"incentives/{incentive.pk}/redeem").status_code == 201


def test_operators_create_an_incentive_with_generated_codes(api, operator):
    response = api.as_user(operator).post("ops/incentives", _body())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stock"] == body["stock_left"] == 5 and body["state"] == "active"
    assert IncentiveCode.objects.filter(incentive_id=body["id"]).count() == 5


def test_operators_create_an_incentive_with_their_codes(api, operator):
    response = api.as_user(operator).post(
        "ops/incentives", _body(codes=[" AAAA-1 ", "BBBB-2", "AAAA-1"])
    )
    assert response.status_code == 201, response.content
    assert response.json()["stock"] == 2


def test_bad_codes_write_nothing(api, operator):
    response = api.as_user(operator).post("ops/incentives", _body(codes=["ok-code-1", "bad code"]))
    assert (response.status_code, response.json()["code"]) == (400, "codes_invalid")
    assert not Incentive.objects.exists()


def test_non_operators_get_403(api, volunteer, org):
    assert api.as_user(volunteer).post("ops/incentives", _body()).status_code == 403
    assert api.as_user(org.applicant).post("ops/incentives", _body()).status_code == 403
    assert not Incentive.objects.exists()
    assert api.post("ops/incentives", _body()).status_code == 401


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("hours_required", "-1"),
        ("hours_required", "NaN"),
        ("hours_required", "Infinity"),
        ("hours_required", "1e308"),
        ("hours_required", "1.25"),
        ("stock", "-1"),
        ("stock", str(10**30)),
        ("stock", "1.5"),
    ],
)
def test_bad_numbers_are_400_and_write_nothing(api, operator, field, raw):
    client = api.as_user(operator)
    text = json.dumps(_body(**{field: "PLACEHOLDER"})).replace('"PLACEHOLDER"', raw)
    response = client.client.post(
        "/api/v1/ops/incentives",
        data=text,
        content_type="application/json",
        headers={"Authorization": f"Bearer {client.token}"},
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Incentive.objects.exists()


def test_operators_add_and_generate_codes(api, operator):
    client = api.as_user(operator)
    created = client.post("ops/incentives", _body(stock=0, state="draft")).json()
    added = client.post(f"ops/incentives/{created['id']}/codes", {"codes": ["CODE-0001"]})
    assert added.status_code == 200 and added.json()["stock"] == 1
    generated = client.post(f"ops/incentives/{created['id']}/codes", {"generate": 4})
    assert generated.json()["stock"] == generated.json()["stock_left"] == 5
    dup = client.post(f"ops/incentives/{created['id']}/codes", {"codes": ["CODE-0001"]})
    assert (dup.status_code, dup.json()["code"]) == (400, "codes_invalid")


def test_an_org_incentive_is_not_an_operator_api_target(api, operator, org):
    incentive = active_incentive(actor=org.applicant, org=org)
    response = api.as_user(operator).post(f"ops/incentives/{incentive.pk}/codes", {"generate": 1})
    assert response.status_code == 404
    assert not Redemption.objects.exists()
