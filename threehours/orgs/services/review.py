"""The operators' review of an organisation: approval, rejection, suspension, limits."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.notifications.services import message_later

from ..errors import (
    WrongState,
)
from ..models import (
    Membership,
    Organisation,
)
from .common import State, _notify_applicant, _reason_required


@transaction.atomic(durable=True)
def org_approve(*, org: Organisation, operator: User) -> Organisation:
    """Approve a submitted application; its applicant becomes the organisation's admin.
    Raises WrongState."""
    org = lock_one(Organisation, pk=org.pk)
    if org.state != State.SUBMITTED:
        raise WrongState(state=org.get_state_display())
    now = timezone.now()
    org.state, org.reviewed_at, org.approved_at, org.reject_reason = State.APPROVED, now, now, ""
    org.save(update_fields=["state", "reviewed_at", "approved_at", "reject_reason", "updated_at"])
    Membership.objects.get_or_create(
        organisation=org, user=org.applicant, defaults={"role": Membership.Role.ADMIN}
    )
    audit_record(
        actor=operator,
        verb="org.approved",
        target=org,
        data={"from": State.SUBMITTED, "to": State.APPROVED},
    )
    _notify_applicant(
        org,
        gettext_lazy("Application approved"),
        message_later(
            gettext_lazy(
                "Welcome! %(name)s has joined the platform and can publish activities now."
            ),
            {"name": org.name},
        ),
    )
    return org


@transaction.atomic(durable=True)
def org_reject(*, org: Organisation, operator: User, reason: str) -> Organisation:
    """Reject a submitted application with a reason. Raises ReasonRequired, WrongState."""
    reason = _reason_required(reason)
    org = lock_one(Organisation, pk=org.pk)
    if org.state != State.SUBMITTED:
        raise WrongState(state=org.get_state_display())
    org.state, org.reviewed_at, org.reject_reason = State.REJECTED, timezone.now(), reason
    org.save(update_fields=["state", "reviewed_at", "reject_reason", "updated_at"])
    audit_record(
        actor=operator,
        verb="org.rejected",
        target=org,
        data={"from": State.SUBMITTED, "to": State.REJECTED, "reason": reason},
    )
    _notify_applicant(
        org,
        gettext_lazy("Application not approved"),
        message_later(
            gettext_lazy(
                "Your application for %(name)s was not approved: %(reason)s\n"
                "Please correct it and submit it again."
            ),
            {"name": org.name, "reason": reason},
        ),
    )
    return org


@transaction.atomic(durable=True)
def org_suspend(*, org: Organisation, operator: User, reason: str) -> Organisation:
    """Suspend an organisation: its console closes and its activities are hidden.
    Raises ReasonRequired, WrongState."""
    reason = _reason_required(reason)
    org = lock_one(Organisation, pk=org.pk)
    if org.suspended_at is not None:
        raise WrongState(state=_("suspended"))
    org.suspended_at, org.suspend_reason = timezone.now(), reason
    org.save(update_fields=["suspended_at", "suspend_reason", "updated_at"])
    audit_record(actor=operator, verb="org.suspended", target=org, data={"reason": reason})
    _notify_applicant(
        org,
        gettext_lazy("Organisation suspended"),
        message_later(
            gettext_lazy("%(name)s has been suspended by the platform: %(reason)s"),
            {"name": org.name, "reason": reason},
        ),
    )
    return org


@transaction.atomic(durable=True)
def org_reinstate(*, org: Organisation, operator: User, reason: str) -> Organisation:
    """Lift a suspension. Raises ReasonRequired, WrongState."""
    reason = _reason_required(reason)
    org = lock_one(Organisation, pk=org.pk)
    if org.suspended_at is None:
        raise WrongState(state=_("not suspended"))
    org.suspended_at, org.suspend_reason = None, ""
    org.save(update_fields=["suspended_at", "suspend_reason", "updated_at"])
    audit_record(actor=operator, verb="org.reinstated", target=org, data={"reason": reason})
    _notify_applicant(
        org,
        gettext_lazy("Organisation reinstated"),
        message_later(gettext_lazy("%(name)s can use the platform again."), {"name": org.name}),
    )
    return org


@transaction.atomic(durable=True)
def org_places_limit_set(*, org: Organisation, operator: User, limit: int) -> Organisation:
    """Operators raise (or lower) an organisation's places-per-activity limit."""
    if not 1 <= limit <= 100_000:
        raise InvalidInput(fields={"places_limit": [_("Enter a number from 1 to 100000.")]})
    org = lock_one(Organisation, pk=org.pk)
    audit_record(
        actor=operator,
        verb="org.places_limit",
        target=org,
        data={"from": org.places_limit, "to": limit},
    )
    org.places_limit = limit
    org.save(update_fields=["places_limit", "updated_at"])
    return org
