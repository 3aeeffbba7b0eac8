"""An organisation's staff: invitations, roles, removal; at least one admin stays."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.notifications.services import email_send

from ..errors import (
    AlreadyMember,
    InvitationInvalid,
    InvitationWrongAccount,
    LastAdmin,
    WrongState,
)
from ..models import (
    Invitation,
    Membership,
    Organisation,
)
from .common import State, _require_admin

INVITATION_DAYS = 7


# --- staff ------------------------------------------------------------------------------------


def _invitation_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic(durable=True)
def staff_invite(*, org: Organisation, inviter: User, email: str, role: str) -> Invitation:
    """E-mail an invitation link (valid INVITATION_DAYS days). Raises NotAllowed, WrongState,
    InvalidInput, AlreadyMember."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=inviter, org=org)
    if org.state != State.APPROVED:
        raise WrongState(state=org.get_state_display())
    email = (email or "").strip().lower()
    errors = {}
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    if role not in Membership.Role.values:
        errors["role"] = [_("Choose a role.")]
    if errors:
        raise InvalidInput(fields=errors)
    if org.memberships.filter(user__email__iexact=email).exists():
        raise AlreadyMember(fields={"email": [str(AlreadyMember.default_message)]})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation.objects.create(
        organisation=org,
        email=email,
        role=role,
        token_hash=_invitation_hash(token),
        invited_by=inviter,
        created_at=now,
        expires_at=now + dt.timedelta(days=INVITATION_DAYS),
    )
    link = settings.SITE_URL + reverse("console:invitation", args=[token])
    email_send(
        to=email,
        subject=_("Join %(name)s on threehours") % {"name": org.name},
        body=_(
            "%(inviter)s invites you to help run %(name)s on threehours as %(role)s.\n\n"
            "Open this link within %(days)s days to accept (log in or register with this e-mail "
            "address):\n%(link)s"
        )
        % {
            "inviter": inviter.email or inviter.display_name,
            "name": org.name,
            "role": Membership.Role(role).label,
            "days": INVITATION_DAYS,
            "link": link,
        },
    )
    audit_record(
        actor=inviter, verb="org.staff_invited", target=org, data={"email": email, "role": role}
    )
    return invitation


def invitation_get(*, token: str) -> Invitation:
    """The open invitation behind a link. Raises InvitationInvalid."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_invitation_hash(token or ""))
        .first()
    )
    if invitation is None or not invitation.is_open(timezone.now()):
        raise InvitationInvalid()
    return invitation


@transaction.atomic(durable=True)
def invitation_accept(*, token: str, user: User) -> Membership:
    """Join the organisation of an invitation addressed to the user's verified e-mail.
    Raises InvitationInvalid, InvitationWrongAccount, AlreadyMember."""
    invitation = invitation_get(token=token)
    invitation = lock_one(Invitation, pk=invitation.pk)
    if not invitation.is_open(timezone.now()):
        raise InvitationInvalid()
    if (
        not user.email
        or user.email.lower() != invitation.email.lower()
        or (user.email_verified_at is None)
    ):
        raise InvitationWrongAccount()
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                organisation=invitation.organisation, user=user, role=invitation.role
            )
    except IntegrityError as exc:
        raise AlreadyMember() from exc
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        verb="org.staff_joined",
        target=invitation.organisation,
        data={"role": invitation.role},
    )
    return membership


@transaction.atomic(durable=True)
def invitation_revoke(*, org: Organisation, actor: User, invitation_id: int) -> None:
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=actor, org=org)
    updated = Invitation.objects.filter(
        pk=invitation_id, organisation=org, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise InvitationInvalid()
    audit_record(
        actor=actor, verb="org.invitation_revoked", target=org, data={"invitation": invitation_id}
    )


def _admins_left(org: Organisation, *, without: Membership) -> int:
    return org.memberships.filter(role=Membership.Role.ADMIN).exclude(pk=without.pk).count()


@transaction.atomic(durable=True)
def staff_remove(*, org: Organisation, actor: User, membership_id: int) -> None:
    """Remove a staff member. Raises NotAllowed, LastAdmin, Membership.DoesNotExist."""
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=actor, org=org)
    membership = org.memberships.select_related("user").get(pk=membership_id)
    if membership.role == Membership.Role.ADMIN and not _admins_left(org, without=membership):
        raise LastAdmin()
    membership.delete()
    audit_record(
        actor=actor,
        verb="org.staff_removed",
        target=org,
        data={"user": membership.user_id, "role": membership.role},
    )


@transaction.atomic(durable=True)
def staff_role_set(*, org: Organisation, actor: User, membership_id: int, role: str) -> Membership:
    """Change a staff member's role. Raises NotAllowed, LastAdmin, InvalidInput."""
    if role not in Membership.Role.values:
        raise InvalidInput(fields={"role": [_("Choose a role.")]})
    org = lock_one(Organisation, pk=org.pk)
    _require_admin(user=actor, org=org)
    membership = org.memberships.get(pk=membership_id)
    if (
        membership.role == Membership.Role.ADMIN
        and role != Membership.Role.ADMIN
        and not _admins_left(org, without=membership)
    ):
        raise LastAdmin()
    audit_record(
        actor=actor,
        verb="org.staff_role",
        target=org,
        data={"user": membership.user_id, "from": membership.role, "to": role},
    )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership
