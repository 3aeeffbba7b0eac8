from __future__ import annotations

from django.db.models import QuerySet

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
