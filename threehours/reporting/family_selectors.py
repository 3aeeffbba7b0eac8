"""Reads of a family's hours (issue #14 §4): each child's record as a guardian reads it, and
家庭公益时 (the guardian's own total, each current child's and the family's). A child's hours
are ordinary ledger entries under the child's id; after the hand-over at 18 a former guardian
reads only the entries written before it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet, Sum

from threehours.accounts.models import User
from threehours.family.selectors import ChildRecordAccess, children_of, former_children_of
from threehours.hours.models import HoursSummary, Kind, LedgerEntry
from threehours.hours.selectors import ledger_of
from threehours.hours.services import Totals, hours_totals

ZERO = Decimal("0.0")
TENTH = Decimal("0.1")


def child_ledger(*, access: ChildRecordAccess, limit: int = 500) -> QuerySet[LedgerEntry]:
    """The child's entries, newest first, as the guardian may read them: all of them, or for a
    former guardian only those written before the hand-over."""
    if not access.read_only:
        return ledger_of(volunteer=access.child, limit=limit)
    return (
        LedgerEntry.objects.filter(volunteer=access.child, created_at__lt=access.handed_over_at)
        .select_related("activity", "organisation")
        .order_by("-created_at", "-pk")[:limit]
    )


def child_totals(*, access: ChildRecordAccess) -> Totals:
    """The child's totals: the summary row while the guardian acts for the child; after the
    hand-over, the sum of the entries written before it."""
    if not access.read_only:
        return hours_totals(volunteer=access.child)
    rows = dict(
        LedgerEntry.objects.filter(volunteer=access.child, created_at__lt=access.handed_over_at)
        .values("kind")
        .annotate(total=Sum("hours"))
        .values_list("kind", "total")
        .order_by()
    )
    # SQLite's SUM of decimals loses the scale (1.0 comes back as 1).
    return Totals(
        Decimal(rows.get(Kind.SERVICE) or ZERO).quantize(TENTH),
        Decimal(rows.get(Kind.ONLINE) or ZERO).quantize(TENTH),
    )


@dataclass
class ChildHours:
    child: User
    hours: Decimal
    handed_over_at: dt.datetime | None = None


@dataclass
class FamilyHours:
    me: Decimal
    children: list[ChildHours]
    former: list[ChildHours] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        """The guardian's own hours and those of the children kept now (a record handed over
        belongs to its owner, not to the family any more)."""
        return self.me + sum((c.hours for c in self.children), ZERO)


def family_hours(*, guardian: User) -> FamilyHours:
    """家庭公益时: the guardian's total, each current child's total (from the summary rows, one
    query for all of them) and the children handed over, with what they earned before. Four
    queries plus one per child handed over."""
    children = list(children_of(guardian=guardian))
    totals = {
        row["volunteer_id"]: row["service_hours"] + row["online_hours"]
        for row in HoursSummary.objects.filter(volunteer__in=[c.pk for c in children]).values(
            "volunteer_id", "service_hours", "online_hours"
        )
    }
    former = [
        ChildHours(
            child=child,
            handed_over_at=child.handed_over_at,
            hours=child_totals(
                access=ChildRecordAccess(child=child, handed_over_at=child.handed_over_at)
            ).total,
        )
        for child in former_children_of(guardian=guardian)
    ]
    return FamilyHours(
        me=hours_totals(volunteer=guardian).total,
        children=[ChildHours(child=c, hours=totals.get(c.pk, ZERO)) for c in children],
        former=former,
    )
