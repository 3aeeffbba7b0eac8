"""What the parts of the organisation services share: the states, who may act, the
applicant's notices."""

from __future__ import annotations

from django.urls import reverse

from threehours.accounts.models import User
from threehours.notifications.services import notify

from ..errors import (
    NotAllowed,
    ReasonRequired,
    WrongState,
)
from ..models import (
    Membership,
    Organisation,
    QualificationFile,
)

State = Organisation.State


Category = Organisation.Category


Kind = QualificationFile.Kind


EDITABLE_STATES = {State.DRAFT, State.REJECTED}


# --- access -----------------------------------------------------------------------------------


def role_of(*, user: User, org: Organisation) -> str | None:
    """The user's role: a membership's, or admin for the applicant of an unapproved application."""
    membership = org.memberships.filter(user=user).values_list("role", flat=True).first()
    if membership:
        return membership
    if org.applicant_id == user.pk and org.state != State.APPROVED:
        return Membership.Role.ADMIN
    return None


def _require_admin(*, user: User, org: Organisation) -> None:
    if role_of(user=user, org=org) != Membership.Role.ADMIN:
        raise NotAllowed()


def _require_editable(org: Organisation) -> None:
    if org.state not in EDITABLE_STATES:
        raise WrongState(state=org.get_state_display())


def _reason_required(reason: str | None) -> str:
    """The stripped reason of a rejection, suspension or reinstatement. Raises ReasonRequired."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(fields={"reason": [str(ReasonRequired.default_message)]})
    return reason


def _notify_applicant(org: Organisation, title: str, body: str) -> None:
    link = reverse("console:application", args=[org.pk])
    recipients = {org.applicant} | {
        m.user for m in org.memberships.filter(role=Membership.Role.ADMIN).select_related("user")
    }
    for user in recipients:
        notify(user=user, title=title, body=body, link=link)


def _delete_files(names: list[str]) -> None:
    storage = QualificationFile._meta.get_field("image").storage
    for name in names:
        storage.delete(name)
