"""Issue #16 §6: the operator pages for users and activities (operators only; each action goes
through its service)."""

import pytest
from django.test import Client
from django.utils import timezone

from threehours.accounts import services as account_services
from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.models import AuditEntry
from threehours.notifications.models import Message
from threehours.orgs.tests.factories import approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ops(operator):
    return _client(operator)


@pytest.fixture
def people(db):
    now = timezone.now()
    return [
        User.objects.create(phone="13912340001", nickname="小李", phone_bound_at=now),
        User.objects.create(
            phone="13955550002", real_name="张三丰", phone_bound_at=now, email="zs@example.cn"
        ),
    ]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("13912340001", ["小李"]),
        ("0002", ["张三丰"]),
        ("ZS@example.cn", ["张三丰"]),
        ("三丰", ["张三丰"]),
        ("小", ["小李"]),
        ("9999", []),
        ("", []),
    ],
)
def test_find_a_user_by_phone_last_digits_email_or_name(ops, people, q, found):
    page = ops.get("/ops/users/", {"q": q})
    assert page.status_code == 200
    html = page.content.decode()
    assert [p.display_name for p in page.context["page"].items] == [
        User.objects.get(pk=p.pk).display_name for p in page.context["page"].items
    ]
    names = [p.real_name or p.nickname for p in page.context["page"].items]
    assert names == found
    table = html[html.find('data-testid="user-results"') :]
    assert "13912340001" not in table[: table.find("</table>")]  # phones are masked


def test_user_pages_are_for_operators_only(people, volunteer, email_user):
    target = people[0]
    for path in ("/ops/users/?q=0001", f"/ops/users/{target.pk}/", "/ops/activities/"):
        assert Client().get(path).status_code == 302
        for user in (volunteer, email_user):
            response = _client(user).get(path)
            assert response.status_code == 302
            assert response["Location"].startswith("/ops/login/")
    for path in (f"/ops/users/{target.pk}/disable/", f"/ops/users/{target.pk}/enable/"):
        _client(volunteer).post(path, {"reason": "我是坏人"})
    target.refresh_from_db()
    assert target.is_active


def test_user_detail_shows_the_record(ops, people, operator, regions, attributes):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[])
    signup_services.signup_create(activity=activity, volunteer=people[1])
    page = ops.get(f"/ops/users/{people[1].pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "139****0002" in html and "13955550002" not in html
    assert activity.title in html and 'data-testid="user-against"' in html
    assert ops.get("/ops/users/999999/").status_code == 404
    # The operator reveals the number from the page when they must call (audited).
    assert 'data-testid="phone-reveal"' in html
    reveal_url = f"/ops/users/{people[1].pk}/phone/"
    assert f'action="{reveal_url}"' in html
    assert "13955550002" in ops.post(reveal_url).content.decode()
    assert AuditEntry.objects.filter(verb="phone.revealed", target_id=str(people[1].pk)).exists()


def test_disable_from_the_page_ends_the_page_session_and_the_api_token(ops, people, api):
    person = people[0]
    their_page = _client(person)
    their_api = api.as_user(person)
    assert their_page.get("/me/").status_code == 200
    assert their_api.get("me").status_code == 200
    ops.post(f"/ops/users/{person.pk}/disable/", {"reason": "x"})  # too short: refused
    person.refresh_from_db()
    assert person.is_active
    response = ops.post(f"/ops/users/{person.pk}/disable/", {"reason": "多次爽约"}, follow=True)
    assert "多次爽约" in response.content.decode()
    person.refresh_from_db()
    assert not person.is_active
    assert their_page.get("/me/").status_code == 302
    assert their_api.get("me").status_code == 401
    ops.post(f"/ops/users/{person.pk}/enable/", {"reason": "申诉成立"})
    person.refresh_from_db()
    assert person.is_active


def test_an_operator_is_not_disabled_from_the_page(ops, operator):
    response = ops.post(f"/ops/users/{operator.pk}/disable/", {"reason": "测试测试"}, follow=True)
    operator.refresh_from_db()
    assert operator.is_active
    assert response.status_code == 200


def test_take_down_and_restore_from_the_activity_list(
    ops, operator, volunteer, regions, attributes
):
    org = approved_org(operator=operator)
    activity = published_activity(org, questions=[], title="河边捡垃圾")
    signup_services.signup_create(activity=activity, volunteer=volunteer)
    page = ops.get("/ops/activities/", {"q": "捡垃圾"})
    assert 'data-testid="take-down-form"' in page.content.decode()
    ops.post(f"/ops/activities/{activity.pk}/take-down/", {"reason": "", "q": "捡垃圾"})
    activity.refresh_from_db()
    assert activity.state == Activity.State.PUBLISHED
    response = ops.post(f"/ops/activities/{activity.pk}/take-down/", {"reason": "虚假信息"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.state == Activity.State.TAKEN_DOWN
    assert Client().get(f"/activities/{activity.pk}/").status_code == 404
    staff_page = _client(org.applicant).get(f"/org/{org.pk}/activities/{activity.pk}/")
    assert 'data-testid="taken-down-banner"' in staff_page.content.decode()
    assert "虚假信息" in staff_page.content.decode()
    listed = ops.get("/ops/activities/", {"state": "taken_down"}).content.decode()
    assert 'data-testid="restore-form"' in listed and "虚假信息" in listed
    ops.post(f"/ops/activities/{activity.pk}/restore/", {"reason": "核实无误"})
    activity.refresh_from_db()
    assert activity.state == Activity.State.PUBLISHED
    assert Client().get(f"/activities/{activity.pk}/").status_code == 200
    assert ops.post("/ops/activities/999999/restore/", {"reason": "核实无误"}).status_code == 404
    assert Message.objects.filter(recipient=org.applicant).exists()


def test_account_disable_service_and_page_agree(people, operator):
    account_services.account_disable(user=people[1], reason="冒名", actor=operator)
    html = _client(operator).get(f"/ops/users/{people[1].pk}/").content.decode()
    assert 'data-testid="enable-form"' in html and "冒名" in html
