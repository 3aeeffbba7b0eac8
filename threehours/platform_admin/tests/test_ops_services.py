"""Issue #16 §6: an operator disables and re-enables an account, takes an activity down and
restores it. Each rule and each refusal."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from threehours.accounts import services as account_services
from threehours.accounts.models import ApiToken, User
from threehours.activities import selectors as activity_selectors
from threehours.activities import services as activity_services
from threehours.activities.models import Activity
from threehours.attendance import codes
from threehours.attendance import services as attendance_services
from threehours.attendance.services import Proof
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.models import AuditEntry
from threehours.core.timeutil import local_tz
from threehours.notifications.models import Delivery, Message
from threehours.orgs.tests.factories import approved_org
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import published_activity, volunteers

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(operator, regions, attributes):
    return approved_org(operator=operator)


# --- disable / enable -------------------------------------------------------------------------


def test_disable_ends_sessions_and_tokens_and_tells_the_person(volunteer, operator, sms_outbox):
    token = account_services.token_issue(user=volunteer)
    account_services.account_disable(user=volunteer, reason="冒用他人身份", actor=operator)
    volunteer.refresh_from_db()
    assert not volunteer.is_active and volunteer.disabled_reason == "冒用他人身份"
    assert ApiToken.objects.get(user=volunteer).revoked_at is not None
    assert account_services.token_authenticate(token) is None
    entry = AuditEntry.objects.get(verb="account.disabled")
    assert entry.data["reason"] == "冒用他人身份" and entry.actor == operator
    message = Message.objects.get(recipient=volunteer)
    assert "冒用他人身份" in message.body
    assert Delivery.objects.filter(recipient=volunteer, channel="sms").exists()


@pytest.mark.parametrize("reason", ["", " x ", "长" * 201])
def test_disable_needs_a_reason_of_two_to_200_characters(volunteer, operator, reason):
    with pytest.raises(InvalidInput) as caught:
        account_services.account_disable(user=volunteer, reason=reason, actor=operator)
    assert "reason" in caught.value.fields
    volunteer.refresh_from_db()
    assert volunteer.is_active and not AuditEntry.objects.filter(verb="account.disabled").exists()


def test_an_operator_cannot_disable_themselves_or_another_operator(operator):
    other = User.objects.create_user(email="ops2@example.org", password="x-Pass-123", is_staff=True)
    for target in (operator, other):
        with pytest.raises(DomainError) as caught:
            account_services.account_disable(user=target, reason="测试一下", actor=operator)
        assert caught.value.code == "cannot_disable_operator"
    other.refresh_from_db()
    assert other.is_active


def test_disable_twice_and_enable_an_active_account_are_refused(volunteer, operator):
    with pytest.raises(DomainError) as caught:
        account_services.account_enable(user=volunteer, reason="恢复使用", actor=operator)
    assert caught.value.code == "account_wrong_state"
    account_services.account_disable(user=volunteer, reason="违规报名", actor=operator)
    with pytest.raises(DomainError) as caught:
        account_services.account_disable(user=volunteer, reason="违规报名", actor=operator)
    assert caught.value.code == "account_wrong_state"


def test_enable_restores_the_account_and_tells_the_person(volunteer, operator):
    account_services.account_disable(user=volunteer, reason="违规报名", actor=operator)
    account_services.account_enable(user=volunteer, reason="申诉成立", actor=operator)
    volunteer.refresh_from_db()
    assert volunteer.is_active and volunteer.disabled_reason == ""
    assert AuditEntry.objects.get(verb="account.enabled").data["reason"] == "申诉成立"
    assert Message.objects.filter(recipient=volunteer).count() == 2


def test_a_disabled_volunteers_registrations_stay(org, volunteer, operator):
    activity = published_activity(org, questions=[])
    signup = signup_services.signup_create(activity=activity, volunteer=volunteer)
    account_services.account_disable(user=volunteer, reason="违规报名", actor=operator)
    signup.refresh_from_db()
    assert signup.status == Signup.Status.CONFIRMED


# --- take down / restore ----------------------------------------------------------------------


@pytest.fixture
def activity(org):
    return published_activity(org, questions=[], places=10)


def _take_down(activity, operator, reason="含有违规内容"):
    return activity_services.activity_take_down(activity=activity, reason=reason, actor=operator)


def test_take_down_hides_the_activity_and_tells_registrants_and_staff(
    activity, org, operator, django_capture_on_commit_callbacks
):
    registrant, _ = volunteers(2)
    signup_services.signup_create(activity=activity, volunteer=registrant)
    with django_capture_on_commit_callbacks(execute=True):
        _take_down(activity, operator)
    activity.refresh_from_db()
    assert activity.state == Activity.State.TAKEN_DOWN
    assert activity.taken_down_reason == "含有违规内容" and activity.taken_down_at
    assert activity_selectors.activity_get_published(activity_id=activity.pk) is None
    assert not Activity.objects.published().filter(pk=activity.pk).exists()
    told = Message.objects.filter(recipient=registrant)
    assert any("含有违规内容" in m.body for m in told)
    assert Delivery.objects.filter(recipient=registrant, channel="sms").exists()
    staff_link = reverse("console:activity-detail", args=[org.pk, activity.pk])
    assert Message.objects.filter(recipient=org.applicant, link=staff_link).exists()
    assert AuditEntry.objects.get(verb="activity.taken_down").data["reason"] == "含有违规内容"


def test_registration_and_check_in_are_refused_while_taken_down(activity, operator):
    early, late = volunteers(2)
    signup_services.signup_create(activity=activity, volunteer=early)
    activity = _take_down(activity, operator)
    with pytest.raises(DomainError):
        signup_services.signup_create(activity=activity, volunteer=late)
    assert not Signup.objects.filter(volunteer=late).exists()
    now = dt.datetime.combine(activity.start_date, dt.time(13), tzinfo=local_tz())
    proof = Proof(
        code=codes.day_code(activity.pk, activity.start_date),
        lat=Decimal("31.188"),
        lng=Decimal("121.437"),
        coord="gcj02",
    )
    with pytest.raises(DomainError) as caught:
        attendance_services.attendance_check_in(
            activity=activity, volunteer=early, proof=proof, now=now
        )
    assert caught.value.code == "activity_not_open"


def test_restore_publishes_again(activity, operator, django_capture_on_commit_callbacks):
    registrant = volunteers(1)[0]
    signup_services.signup_create(activity=activity, volunteer=registrant)
    _take_down(activity, operator)
    with django_capture_on_commit_callbacks(execute=True):
        activity_services.activity_restore(activity=activity, reason="已整改", actor=operator)
    activity.refresh_from_db()
    assert activity.state == Activity.State.PUBLISHED and activity.taken_down_reason == ""
    assert activity_selectors.activity_get_published(activity_id=activity.pk) is not None
    assert AuditEntry.objects.get(verb="activity.restored").data["reason"] == "已整改"
    assert Message.objects.filter(recipient=registrant).count() >= 2


def test_only_published_is_taken_down_and_only_taken_down_restored(activity, org, operator):
    with pytest.raises(DomainError) as caught:
        activity_services.activity_restore(activity=activity, reason="已整改", actor=operator)
    assert caught.value.code == "wrong_state"
    activity_services.activity_cancel(activity=activity, user=org.applicant, reason="下雨")
    with pytest.raises(DomainError) as caught:
        _take_down(activity, operator)
    assert caught.value.code == "wrong_state"


@pytest.mark.parametrize("reason", ["", "x", "长" * 201])
def test_take_down_needs_a_reason(activity, operator, reason):
    with pytest.raises(InvalidInput):
        _take_down(activity, operator, reason=reason)
    activity.refresh_from_db()
    assert activity.state == Activity.State.PUBLISHED
