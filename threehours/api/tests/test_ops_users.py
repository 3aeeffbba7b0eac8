"""Issue #16 §6 (docs/api.md "Privacy and account"): the operators' API."""

import pytest
from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.orgs.tests.factories import approved_org
from threehours.reporting import stats
from threehours.signups.tests.factories import attended, published_activity, volunteers

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(api, operator):
    return api.as_user(operator)


@pytest.fixture
def person(db):
    return User.objects.create(phone="13912345678", nickname="小王", phone_bound_at=timezone.now())


def test_everyone_but_operators_is_refused(api, volunteer, person):
    as_volunteer = api.as_user(volunteer)
    assert api.get("ops/users?q=5678").status_code == 401
    assert as_volunteer.get("ops/users?q=5678").status_code == 403
    refused = as_volunteer.post(f"ops/users/{person.pk}/disable", {"reason": "违规"})
    assert refused.status_code == 403
    assert as_volunteer.get("ops/stats").status_code == 403
    person.refresh_from_db()
    assert person.is_active


def test_find_disable_and_enable(ops, api, person):
    found = ops.get("ops/users?q=5678").json()["items"]
    assert [u["id"] for u in found] == [person.pk]
    assert found[0]["phone_masked"] == "139****5678" and "13912345678" not in str(found)
    their_api = api.as_user(person)
    response = ops.post(f"ops/users/{person.pk}/disable", {"reason": "x"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_input"
    response = ops.post(f"ops/users/{person.pk}/disable", {"reason": "多次爽约"})
    assert response.status_code == 200
    assert response.json()["state"] == "disabled"
    assert their_api.get("me").status_code == 401
    again = ops.post(f"ops/users/{person.pk}/disable", {"reason": "多次爽约"})
    assert again.status_code == 409 and again.json()["code"] == "account_wrong_state"
    response = ops.post(f"ops/users/{person.pk}/enable", {"reason": "申诉成立"})
    assert response.json()["state"] == "active"
    assert ops.post("ops/users/999999/enable", {"reason": "申诉成立"}).status_code == 404


def test_an_operator_cannot_be_disabled(ops, operator):
    response = ops.post(f"ops/users/{operator.pk}/disable", {"reason": "测试测试"})
    assert response.status_code == 403 and response.json()["code"] == "cannot_disable_operator"


def test_take_down_and_restore(ops, api, operator, regions, attributes):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    response = ops.post(f"ops/activities/{activity.pk}/take-down", {"reason": "虚假宣传"})
    assert response.status_code == 200 and response.json()["state"] == "taken_down"
    assert api.get(f"activities/{activity.pk}").status_code == 404
    again = ops.post(f"ops/activities/{activity.pk}/take-down", {"reason": "虚假宣传"})
    assert again.status_code == 409 and again.json()["code"] == "wrong_state"
    response = ops.post(f"ops/activities/{activity.pk}/restore", {"reason": "已核实"})
    assert response.json()["state"] == "published"
    assert Activity.objects.get(pk=activity.pk).state == "published"
    assert api.get(f"activities/{activity.pk}").status_code == 200


def test_stats_rows(ops, operator, regions, attributes):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    for one in volunteers(2):
        attended(org, activity, one)
    stats.stats_rollup_all()
    month = f"{activity.start_date:%Y-%m}"
    body = ops.get(f"ops/stats?from={month}&to={month}&group=month").json()
    assert body["rows"] == [
        {
            "key": month,
            "label": month,
            "volunteers": 2,
            "activities": body["rows"][0]["activities"],
            "registrations": body["rows"][0]["registrations"],
            "hours": 2.0,
            "organisations": body["rows"][0]["organisations"],
            "volunteers_new": body["rows"][0]["volunteers_new"],
        }
    ]
    by_type = ops.get(f"ops/stats?from={month}&to={month}&group=type").json()["rows"]
    assert by_type[0]["label"] == "团队活动" and by_type[0]["hours"] == 2.0
    assert ops.get("ops/stats?from=2026-13").status_code in (400, 422)
    assert ops.get("ops/stats?from=2026-05&to=2026-01").status_code == 400
    assert ops.get("ops/stats?group=nope").status_code in (400, 422)
