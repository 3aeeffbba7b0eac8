from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from threehours.accounts.models import User
from threehours.core.errors import NotFound, PermissionDenied

from .errors import NotAllowed, OrgNotFound, OrgSuspended
from .models import (
    CertificateRenewal,
    Invitation,
    Membership,
    Organisation,
    QualificationFile,
    Region,
)
from .services import role_of

State = Organisation.State


def access_org_for_staff(
    *, user: User, org_id: int, admin: bool = False, allow_suspended: bool = False
) -> Organisation:
    """The organisation `org_id` if `user` works for it (or is its applicant before approval).
    Another organisation answers OrgNotFound (404), never 403, so ids reveal nothing.
    Raises OrgNotFound, OrgSuspended, NotAllowed (admin needed)."""
    org = (
        Organisation.objects.select_related("province", "city", "district", "applicant")
        .filter(pk=org_id)
        .filter(Q(memberships__user=user) | (Q(applicant=user) & ~Q(state=State.APPROVED)))
        .distinct()
        .first()
    )
    if org is None:
        raise OrgNotFound()
    if org.is_suspended and not allow_suspended:
        raise OrgSuspended(reason=org.suspend_reason)
    if admin and role_of(user=user, org=org) != Membership.Role.ADMIN:
        raise NotAllowed()
    return org


def access_file_for_org(*, org: Organisation, file_id: int) -> QualificationFile:
    """A qualification file of `org` (fetched with access_org_for_staff). Another
    organisation's file raises NotFound like an unknown id, so ids reveal nothing."""
    row = org.files.filter(pk=file_id).first()
    if row is None:
        raise NotFound(_("No such file."))
    return row


def access_invitation_for_org(*, org: Organisation, invitation_id: int) -> Invitation:
    """A staff invitation of `org`, in any state. Another organisation's raises NotFound like
    an unknown id, so ids reveal nothing."""
    invitation = org.invitations.filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound(_("No such invitation."))
    return invitation


def access_org_for_operator(*, user: User, org_id: int) -> Organisation:
    """Any organisation, for a platform operator (who oversees them all), with its regions and
    applicant. Raises PermissionDenied for anyone else, OrgNotFound for an unknown id."""
    if not user.is_staff:
        raise PermissionDenied()
    org = (
        Organisation.objects.select_related("province", "city", "district", "applicant")
        .filter(pk=org_id)
        .first()
    )
    if org is None:
        raise OrgNotFound()
    return org


def access_renewal_for_operator(*, user: User, renewal_id: int) -> CertificateRenewal:
    """Any certificate renewal, for a platform operator. Raises PermissionDenied for anyone
    else, NotFound for an unknown id."""
    if not user.is_staff:
        raise PermissionDenied()
    renewal = CertificateRenewal.objects.filter(pk=renewal_id).first()
    if renewal is None:
        raise NotFound(_("No such renewal."))
    return renewal


def orgs_of_user(*, user: User) -> list[tuple[Organisation, str]]:
    """(organisation, role) pairs for the user's memberships, by name."""
    rows = (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    return [(m.organisation, m.role) for m in rows]


def open_application_of(*, user: User) -> Organisation | None:
    return (
        Organisation.objects.filter(applicant=user)
        .exclude(state=State.APPROVED)
        .order_by("-created_at")
        .first()
    )


def region_children(*, parent: str | None) -> QuerySet[Region]:
    if parent:
        return Region.objects.filter(parent_id=parent).order_by("code")
    return Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")


def review_queue() -> QuerySet[Organisation]:
    """Submitted applications, the longest-waiting first."""
    return (
        Organisation.objects.filter(state=State.SUBMITTED)
        .select_related("province", "city", "district")
        .annotate(file_count=Count("files", filter=Q(files__renewal__isnull=True)))
        .order_by("submitted_at", "pk")
    )


def renewal_queue() -> QuerySet[CertificateRenewal]:
    return (
        CertificateRenewal.objects.filter(state=CertificateRenewal.State.PENDING)
        .select_related("organisation")
        .order_by("created_at", "pk")
    )


def org_list_for_operators(
    *,
    state: str = "",
    category: str = "",
    province: str = "",
    q: str = "",
    expiring_within_days: int | None = None,
    today: dt.date | None = None,
) -> QuerySet[Organisation]:
    qs = Organisation.objects.select_related("province", "city", "district")
    if state == "suspended":
        qs = qs.filter(suspended_at__isnull=False)
    elif state:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category=category)
    if province:
        qs = qs.filter(province_id=province)
    if q:
        qs = qs.filter(name__icontains=q)
    if expiring_within_days is not None and today is not None:
        qs = qs.filter(
            certificate_valid_until__isnull=False,
            certificate_valid_until__lte=today + dt.timedelta(days=expiring_within_days),
        )
    return (
        qs.order_by("certificate_valid_until", "name", "pk")
        if expiring_within_days is not None
        else qs.order_by("-created_at", "-pk")
    )
