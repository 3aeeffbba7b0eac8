from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from threehours.accounts.models import User

from .errors import NotAllowed, OrgNotFound, OrgSuspended
from .models import CertificateRenewal, Membership, Organisation, Region
from .services import role_of

State = Organisation.State


def org_for_staff(
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
