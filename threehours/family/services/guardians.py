"""The second guardian (issue #14 §1): a guardian invites the child's other parent by phone;
the invited person logs in with that phone and confirms the same child with their own consent.

Invariants guarded here:
- a child has at most two current guardians (checked under a lock of the child's row when an
  invitation is accepted, so two acceptances cannot both pass);
- one pending invitation per child and phone (the database's conditional unique constraint
  has the last word); an invitation is answered once, by the phone it was sent to, before it
  expires (INVITATION_DAYS);
- the invited person passes the same rules as the first guardian: real name recorded, older
  than 22 (rules.guardian_age_ok), and a separate consent recorded with its text version;
- an inviter sends at most INVITATIONS_PER_DAY invitations in 24 hours (counted from rows)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from threehours.accounts.consent import consent_record
from threehours.accounts.errors import InvalidPhone
from threehours.accounts.identity import is_valid_phone, mask_phone, normalise_phone
from threehours.accounts.models import Consent, User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import RateLimited
from threehours.core.timeutil import local_today
from threehours.notifications.services import message_later, notify

from ..errors import (
    AlreadyGuardian,
    ConsentRequired,
    GuardiansFull,
    GuardianTooYoung,
    InvitationClosed,
    InvitationExpired,
    InvitationNotFound,
    InvitationPending,
)
from ..models import GuardianInvitation, Guardianship
from ..rules import CHILD_CONSENT_VERSION, guardian_age_ok
from ..selectors import access_child_for_guardian

MAX_GUARDIANS = 2
INVITATION_DAYS = 7
INVITATIONS_PER_DAY = 10

Status = GuardianInvitation.Status


def _phone_clean(raw: str) -> str:
    phone = normalise_phone(raw)
    if not is_valid_phone(phone):
        raise InvalidPhone(fields={"phone": [str(InvalidPhone.default_message)]})
    return phone


@transaction.atomic(durable=True)
def guardian_invite(*, guardian: User, child: User, phone: str) -> GuardianInvitation:
    """Invite the owner of `phone` to become the child's second guardian; they are told in
    their inbox when an account with that phone exists. Raises NotFound (not the guardian's
    child), InvalidPhone, AlreadyGuardian (own phone, or a current guardian's),
    GuardiansFull, InvitationPending, RateLimited. Locks the child's row."""
    child = access_child_for_guardian(guardian=guardian, child_id=child.pk)
    number = _phone_clean(phone)
    child = lock_one(User, pk=child.pk)
    now = timezone.now()
    sent = GuardianInvitation.objects.filter(
        invited_by=guardian, created_at__gt=now - dt.timedelta(days=1)
    ).order_by("created_at")
    if sent.count() >= INVITATIONS_PER_DAY:
        first = sent.first()
        wait = (first.created_at + dt.timedelta(days=1) - now).total_seconds() if first else 60
        raise RateLimited(retry_after=max(1, int(wait)))
    guardians = Guardianship.objects.current().filter(child=child)
    if number == guardian.phone or guardians.filter(guardian__phone=number).exists():
        raise AlreadyGuardian(fields={"phone": [str(AlreadyGuardian.default_message)]})
    if guardians.count() >= MAX_GUARDIANS:
        raise GuardiansFull()
    # An expired invitation no longer blocks a new one to the same phone.
    GuardianInvitation.objects.filter(
        child=child, phone=number, status=Status.PENDING, expires_at__lte=now
    ).update(status=Status.EXPIRED)
    if GuardianInvitation.objects.filter(child=child, phone=number, status=Status.PENDING).exists():
        raise InvitationPending(fields={"phone": [str(InvitationPending.default_message)]})
    try:
        with transaction.atomic():
            invitation = GuardianInvitation.objects.create(
                child=child,
                invited_by=guardian,
                phone=number,
                expires_at=now + dt.timedelta(days=INVITATION_DAYS),
            )
    except IntegrityError as exc:  # the same invitation sent at the same moment
        raise InvitationPending(fields={"phone": [str(InvitationPending.default_message)]}) from exc
    audit_record(
        actor=guardian,
        verb="family.guardian_invited",
        target=child,
        data={"invitation": invitation.pk, "phone": mask_phone(number)},
    )
    invitee = User.objects.filter(phone=number, guarded=False, is_active=True).first()
    if invitee is not None:
        notify(
            user=invitee,
            title=gettext_lazy("Invitation to be a child's guardian"),
            body=message_later(
                gettext_lazy(
                    "%(inviter)s invited you to be a guardian of %(child)s on threehours. "
                    "Open Me → My children to accept or decline before %(until)s."
                ),
                {
                    "inviter": guardian.real_name or guardian.display_name,
                    "child": child.real_name,
                    "until": timezone.localdate(invitation.expires_at),
                },
            ),
            link=reverse("family:children"),
        )
    return invitation


def _invitation_for(*, user: User, invitation_id: int) -> GuardianInvitation:
    """The invitation `invitation_id` if it was sent to `user`'s phone (locked); anyone
    else's is unknown (NotFound)."""
    if not user.phone:
        raise InvitationNotFound()
    try:
        return lock_one(GuardianInvitation, pk=invitation_id, phone=user.phone)
    except GuardianInvitation.DoesNotExist as exc:
        raise InvitationNotFound() from exc


def _require_open(invitation: GuardianInvitation, now: dt.datetime) -> None:
    if invitation.status != Status.PENDING:
        raise InvitationClosed()
    if invitation.expires_at <= now:
        raise InvitationExpired()


@transaction.atomic(durable=True)
def guardian_invitation_accept(
    *, user: User, invitation: GuardianInvitation | int, consent: bool
) -> Guardianship:
    """`user` (logged in with the invited phone) becomes a guardian of the invitation's child,
    giving the separate consent for the child's data. Raises InvitationNotFound (not sent to
    the user's phone), InvitationClosed, InvitationExpired, GuardianTooYoung (no real name or
    not older than 22), ConsentRequired, AlreadyGuardian, GuardiansFull. Locks the invitation,
    then the child's row."""
    invitation_id = invitation if isinstance(invitation, int) else invitation.pk
    found = _invitation_for(user=user, invitation_id=invitation_id)
    now = timezone.now()
    _require_open(found, now)
    if not guardian_age_ok(user.birth_date, local_today()):
        raise GuardianTooYoung()
    if consent is not True:
        raise ConsentRequired(fields={"consent": [str(ConsentRequired.default_message)]})
    child = lock_one(User, pk=found.child_id)
    guardians = Guardianship.objects.current().filter(child=child)
    if not child.guarded or not guardians.exists():  # handed over at 18 meanwhile
        raise InvitationClosed()
    if Guardianship.objects.filter(child=child, guardian=user).exists():
        raise AlreadyGuardian()
    if guardians.count() >= MAX_GUARDIANS:
        raise GuardiansFull()
    link = Guardianship.objects.create(
        child=child,
        guardian=user,
        added_by=found.invited_by,
        consent_version=CHILD_CONSENT_VERSION,
        consented_at=now,
    )
    GuardianInvitation.objects.filter(pk=found.pk).update(
        status=Status.ACCEPTED, accepted_by=user, answered_at=now
    )
    notify(
        user=found.invited_by,
        title=gettext_lazy("A second guardian confirmed your child"),
        body=message_later(
            gettext_lazy(
                "%(name)s accepted your invitation and is now also a guardian of %(child)s."
            ),
            {"name": user.real_name or user.display_name, "child": child.real_name},
        ),
        link=reverse("family:child", args=[child.pk]),
    )
    # The guardian's consent is also on record as a Consent row (issue #16 §1).
    consent_record(user=user, kind=Consent.Kind.CHILD)
    audit_record(
        actor=user,
        verb="family.guardian_added",
        target=child,
        data={"invitation": found.pk, "consent_version": CHILD_CONSENT_VERSION},
    )
    return link


@transaction.atomic(durable=True)
def guardian_invitation_decline(*, user: User, invitation: GuardianInvitation | int) -> None:
    """The invited person says no. Raises InvitationNotFound, InvitationClosed,
    InvitationExpired."""
    invitation_id = invitation if isinstance(invitation, int) else invitation.pk
    found = _invitation_for(user=user, invitation_id=invitation_id)
    now = timezone.now()
    _require_open(found, now)
    GuardianInvitation.objects.filter(pk=found.pk).update(status=Status.DECLINED, answered_at=now)
    audit_record(
        actor=user,
        verb="family.guardian_declined",
        target=found,
        data={"child": found.child_id},
    )


@transaction.atomic(durable=True)
def guardian_invitation_cancel(*, guardian: User, invitation: GuardianInvitation | int) -> None:
    """The inviter withdraws a pending invitation. Anyone else's invitation is unknown
    (InvitationNotFound); an answered one raises InvitationClosed."""
    invitation_id = invitation if isinstance(invitation, int) else invitation.pk
    try:
        found = lock_one(GuardianInvitation, pk=invitation_id, invited_by=guardian)
    except GuardianInvitation.DoesNotExist as exc:
        raise InvitationNotFound() from exc
    if found.status != Status.PENDING:
        raise InvitationClosed()
    GuardianInvitation.objects.filter(pk=found.pk).update(
        status=Status.CANCELLED, answered_at=timezone.now()
    )
    audit_record(
        actor=guardian,
        verb="family.guardian_invitation_cancelled",
        target=found,
        data={"child": found.child_id},
    )
