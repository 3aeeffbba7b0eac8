"""The second guardian (issue #14 §1): invited by phone, every refusal with its code, answered
once by the invited phone before expiry, the same age rule and a separate consent."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from threehours.accounts.errors import InvalidPhone
from threehours.accounts.models import User
from threehours.core.audit import AuditEntry
from threehours.core.errors import NotFound, RateLimited
from threehours.notifications.models import Message

from .. import errors, services
from ..models import GuardianInvitation, Guardianship
from ..rules import CHILD_CONSENT_VERSION
from ..selectors import children_of, invitations_for_user, pending_invitations_of_child
from ..services.guardians import INVITATION_DAYS, INVITATIONS_PER_DAY
from .factories import child_of, guardian, years_ago

pytestmark = pytest.mark.django_db

Status = GuardianInvitation.Status


@pytest.fixture
def mother():
    return guardian("13900000001", name="王妈妈")


@pytest.fixture
def father():
    return guardian("13900000002", name="王爸爸")


@pytest.fixture
def kid(mother):
    return child_of(mother)


def test_the_invited_parent_accepts_and_both_see_the_child(mother, father, kid):
    invitation = services.guardian_invite(guardian=mother, child=kid, phone="139 0000 0002")
    assert invitation.phone == "13900000002" and invitation.status == Status.PENDING
    waits = invitation.expires_at - invitation.created_at
    assert abs(waits - dt.timedelta(days=INVITATION_DAYS)) < dt.timedelta(seconds=1)
    assert list(invitations_for_user(user=father)) == [invitation]
    assert list(pending_invitations_of_child(child=kid)) == [invitation]
    message = Message.objects.get(recipient=father)
    assert "王妈妈" in message.body and "王小宝" in message.body

    link = services.guardian_invitation_accept(user=father, invitation=invitation, consent=True)
    assert link.guardian == father and link.added_by == mother
    assert link.consent_version == CHILD_CONSENT_VERSION and link.consented_at is not None
    invitation.refresh_from_db()
    assert invitation.status == Status.ACCEPTED and invitation.accepted_by == father
    assert list(children_of(guardian=mother)) == [kid]
    assert list(children_of(guardian=father)) == [kid]
    assert AuditEntry.objects.filter(verb="family.guardian_added", actor=father).exists()
    told = Message.objects.get(recipient=mother)
    assert "王爸爸" in told.body and told.link == f"/me/children/{kid.pk}/"
    assert list(invitations_for_user(user=father)) == []


def test_no_message_when_no_account_has_the_phone(mother, kid):
    services.guardian_invite(guardian=mother, child=kid, phone="13700000000")
    assert not Message.objects.exists()


@pytest.mark.parametrize("phone", ["1390000000", "23900000002", "139000000021", "abc", ""])
def test_an_invalid_phone_is_refused(mother, kid, phone):
    with pytest.raises(InvalidPhone) as caught:
        services.guardian_invite(guardian=mother, child=kid, phone=phone)
    assert caught.value.code == "invalid_phone" and "phone" in caught.value.fields
    assert not GuardianInvitation.objects.exists()


def test_own_phone_or_a_current_guardians_phone_is_already_guardian(mother, father, kid):
    with pytest.raises(errors.AlreadyGuardian):
        services.guardian_invite(guardian=mother, child=kid, phone=mother.phone)
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    services.guardian_invitation_accept(user=father, invitation=invitation, consent=True)
    with pytest.raises(errors.AlreadyGuardian) as caught:
        services.guardian_invite(guardian=father, child=kid, phone=mother.phone)
    assert caught.value.code == "already_guardian"
    assert GuardianInvitation.objects.filter(status=Status.PENDING).count() == 0


def test_a_third_guardian_is_refused_at_invitation_and_at_acceptance(mother, father, kid):
    aunt = guardian("13900000003", name="王阿姨")
    to_father = services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    to_aunt = services.guardian_invite(guardian=mother, child=kid, phone=aunt.phone)
    services.guardian_invitation_accept(user=father, invitation=to_father, consent=True)
    with pytest.raises(errors.GuardiansFull) as caught:
        services.guardian_invitation_accept(user=aunt, invitation=to_aunt, consent=True)
    assert caught.value.code == "guardians_full"
    with pytest.raises(errors.GuardiansFull):
        services.guardian_invite(guardian=mother, child=kid, phone="13900000004")
    assert Guardianship.objects.filter(child=kid).count() == 2
    assert list(children_of(guardian=aunt)) == []


def test_one_pending_invitation_per_phone_until_withdrawn_or_expired(mother, kid):
    first = services.guardian_invite(guardian=mother, child=kid, phone="13900000002")
    with pytest.raises(errors.InvitationPending) as caught:
        services.guardian_invite(guardian=mother, child=kid, phone="13900000002")
    assert caught.value.code == "invitation_pending"
    services.guardian_invitation_cancel(guardian=mother, invitation=first)
    second = services.guardian_invite(guardian=mother, child=kid, phone="13900000002")
    with time_machine.travel(timezone.now() + dt.timedelta(days=INVITATION_DAYS, seconds=1)):
        third = services.guardian_invite(guardian=mother, child=kid, phone="13900000002")
    second.refresh_from_db()
    assert second.status == Status.EXPIRED and third.status == Status.PENDING


def test_an_inviter_sends_at_most_the_daily_number(mother, kid):
    for i in range(INVITATIONS_PER_DAY):
        invitation = services.guardian_invite(guardian=mother, child=kid, phone=f"1370000{i:04d}")
        services.guardian_invitation_cancel(guardian=mother, invitation=invitation)
    with pytest.raises(RateLimited) as caught:
        services.guardian_invite(guardian=mother, child=kid, phone="13900000009")
    assert caught.value.retry_after and caught.value.retry_after <= 86400
    assert GuardianInvitation.objects.count() == INVITATIONS_PER_DAY
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, seconds=1)):
        assert services.guardian_invite(guardian=mother, child=kid, phone="13900000009").pk


def test_only_a_guardian_of_the_child_invites(father, kid):
    with pytest.raises(NotFound):
        services.guardian_invite(guardian=father, child=kid, phone="13900000003")
    assert not GuardianInvitation.objects.exists()


def test_only_the_invited_phone_can_answer(mother, father, kid):
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    other = guardian("13900000003", name="李四")
    for user in (other, mother):
        with pytest.raises(errors.InvitationNotFound) as caught:
            services.guardian_invitation_accept(user=user, invitation=invitation, consent=True)
        assert caught.value.status == 404
        with pytest.raises(errors.InvitationNotFound):
            services.guardian_invitation_decline(user=user, invitation=invitation)
    # Only the inviter withdraws.
    with pytest.raises(errors.InvitationNotFound):
        services.guardian_invitation_cancel(guardian=father, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.status == Status.PENDING
    assert Guardianship.objects.filter(child=kid).count() == 1


def test_an_expired_invitation_cannot_be_answered(mother, father, kid):
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    with time_machine.travel(invitation.expires_at):
        with pytest.raises(errors.InvitationExpired):
            services.guardian_invitation_accept(user=father, invitation=invitation, consent=True)
        assert list(invitations_for_user(user=father)) == []
    with time_machine.travel(invitation.expires_at - dt.timedelta(seconds=1)):
        services.guardian_invitation_accept(user=father, invitation=invitation, consent=True)
    assert list(children_of(guardian=father)) == [kid]


def test_an_answered_invitation_is_closed(mother, father, kid):
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    services.guardian_invitation_decline(user=father, invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.status == Status.DECLINED and invitation.answered_at is not None
    with pytest.raises(errors.InvitationClosed):
        services.guardian_invitation_accept(user=father, invitation=invitation, consent=True)
    with pytest.raises(errors.InvitationClosed):
        services.guardian_invitation_cancel(guardian=mother, invitation=invitation)
    assert list(children_of(guardian=father)) == []


def test_the_second_guardian_gives_the_separate_consent(mother, father, kid):
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    for value in (False, None, "yes"):
        with pytest.raises(errors.ConsentRequired):
            services.guardian_invitation_accept(user=father, invitation=invitation, consent=value)
    assert list(children_of(guardian=father)) == []
    invitation.refresh_from_db()
    assert invitation.status == Status.PENDING


@pytest.mark.parametrize(("days", "allowed"), [(0, True), (1, False)])
def test_the_second_guardian_must_be_older_than_22(mother, kid, days, allowed):
    young = guardian("13900000002", age=23, name="王爸爸")
    User.objects.filter(pk=young.pk).update(birth_date=years_ago(23, days=days))
    young.refresh_from_db()
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=young.phone)
    if allowed:
        services.guardian_invitation_accept(user=young, invitation=invitation, consent=True)
        assert list(children_of(guardian=young)) == [kid]
    else:
        with pytest.raises(errors.GuardianTooYoung):
            services.guardian_invitation_accept(user=young, invitation=invitation, consent=True)
        assert list(children_of(guardian=young)) == []


def test_an_invited_person_without_real_name_is_too_young(mother, kid):
    plain = User.objects.create(phone="13900000002", phone_bound_at=timezone.now())
    invitation = services.guardian_invite(guardian=mother, child=kid, phone=plain.phone)
    with pytest.raises(errors.GuardianTooYoung) as caught:
        services.guardian_invitation_accept(user=plain, invitation=invitation, consent=True)
    assert caught.value.code == "guardian_too_young"
    assert not Guardianship.objects.filter(guardian=plain).exists()


def test_the_invited_person_is_told_in_their_own_language(mother, father, kid):
    User.objects.filter(pk=father.pk).update(language="en")
    services.guardian_invite(guardian=mother, child=kid, phone=father.phone)
    message = Message.objects.get(recipient=father)
    assert message.title == "Invitation to be a child's guardian"
    assert message.link == "/me/children/"
    User.objects.filter(pk=father.pk).update(language="zh-hans")
    services.guardian_invite(
        guardian=mother, child=child_of(mother, name="王小贝"), phone=father.phone
    )
    assert Message.objects.filter(recipient=father).latest("pk").title == "邀请您成为小宝的监护人"
