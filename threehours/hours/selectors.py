from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from threehours.core.errors import NotFound

from .models import LedgerEntry, PendingCredit


def ledger_of(*, volunteer, limit: int = 500) -> QuerySet[LedgerEntry]:
    """The volunteer's entries, newest first, with their activities (我的公益时)."""
    return (
        LedgerEntry.objects.filter(volunteer=volunteer)
        .select_related("activity", "organisation")
        .order_by("-created_at", "-pk")[:limit]
    )


def pending_of_volunteer(*, volunteer) -> QuerySet[PendingCredit]:
    return PendingCredit.objects.filter(
        attendance__volunteer=volunteer, state=PendingCredit.State.OPEN
    ).select_related("attendance__activity")


def pending_for_org(*, org) -> QuerySet[PendingCredit]:
    """The staff's queue: open or disputed proposals of the organisation's activities."""
    return (
        PendingCredit.objects.filter(
            attendance__activity__organisation=org,
            state__in=[PendingCredit.State.OPEN, PendingCredit.State.DISPUTED],
        )
        .select_related("attendance__activity", "attendance__volunteer")
        .order_by("expires_at", "pk")
    )


def access_pending_for_org(*, org, pending_id: int) -> PendingCredit:
    """One proposal of the organisation's activities. Any other raises NotFound like an
    unknown id, so ids reveal nothing."""
    pending = (
        PendingCredit.objects.select_related("attendance__activity", "attendance__volunteer")
        .filter(pk=pending_id, attendance__activity__organisation=org)
        .first()
    )
    if pending is None:
        raise NotFound(_("No such proposal."))
    return pending


def pending_get_of_volunteer(*, volunteer, pending_id: int) -> PendingCredit | None:
    """One proposal made to the volunteer (None for anyone else's: 404)."""
    return PendingCredit.objects.filter(pk=pending_id, attendance__volunteer=volunteer).first()


def hours_by_activity(*, volunteer) -> dict[int, Decimal]:
    """The hours the ledger holds per activity for the volunteer (credits plus corrections),
    for the cards of 我参与的项目; activities without entries are left out."""
    rows = (
        LedgerEntry.objects.filter(volunteer=volunteer)
        .values("activity_id")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return {row["activity_id"]: row["total"] for row in rows if row["total"]}


def service_hours_by_org(*, volunteer, org_id: int | None = None) -> dict[int, Decimal]:
    """The service hours the ledger holds for the volunteer per crediting organisation (credits
    plus corrections; only organisations with a positive total), optionally for one
    organisation only: what an organisation's own incentives count (issue #15 §5)."""
    entries = LedgerEntry.objects.filter(volunteer=volunteer, kind="service")
    if org_id is not None:
        entries = entries.filter(organisation_id=org_id)
    rows = entries.values("organisation_id").annotate(total=Sum("hours")).order_by()
    return {row["organisation_id"]: row["total"] for row in rows if row["total"] > 0}
