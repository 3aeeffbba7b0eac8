"""What the operator console shows about one account (issue #16 §6): its hours, the
organisations it staffs, its children, and what the platform knows against it.

There is no complaint model; "against them" is what the records say:
- no-shows: activity days staff marked them absent (attendance.NoShow);
- removals: registrations staff ended with a reason (signups status "removed");
- hidden ratings: ratings they wrote that an operator hid, with the reason;
- refused check-ins: their own check-in attempts the platform refused (wrong code, outside the
  radius, QR expired…), counted by reason: many refusals of one kind are worth a look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, QuerySet

from threehours.accounts.models import User
from threehours.attendance.models import Attempt, NoShow
from threehours.family.models import Guardianship
from threehours.hours.models import HoursSummary, LedgerEntry
from threehours.orgs.models import Membership
from threehours.ratings.models import Rating
from threehours.signups.models import Signup

RECENT = 20


@dataclass
class UserRecord:
    service_hours: Decimal = Decimal("0.0")
    online_hours: Decimal = Decimal("0.0")
    ledger: list = field(default_factory=list)
    memberships: list = field(default_factory=list)
    children: list = field(default_factory=list)
    guardians: list = field(default_factory=list)
    no_shows: list = field(default_factory=list)
    removals: list = field(default_factory=list)
    hidden_ratings: list = field(default_factory=list)
    refused_checkins: list = field(default_factory=list)  # [(result, count)]

    @property
    def against_count(self) -> int:
        return len(self.no_shows) + len(self.removals) + len(self.hidden_ratings)


def user_record_for_operator(*, user: User) -> UserRecord:
    """Everything the user page shows but the registrations (paged apart); the most recent
    RECENT of each list. Nine small indexed queries."""
    summary = HoursSummary.objects.filter(volunteer=user).first()
    return UserRecord(
        service_hours=summary.service_hours if summary else Decimal("0.0"),
        online_hours=summary.online_hours if summary else Decimal("0.0"),
        ledger=list(
            LedgerEntry.objects.filter(volunteer=user)
            .select_related("activity", "organisation")
            .order_by("-created_at", "-pk")[:RECENT]
        ),
        memberships=list(
            Membership.objects.filter(user=user).select_related("organisation").order_by("pk")
        ),
        children=list(Guardianship.objects.current().filter(guardian=user).select_related("child")),
        guardians=list(
            Guardianship.objects.current().filter(child=user).select_related("guardian")
        ),
        no_shows=list(
            NoShow.objects.filter(signup__volunteer=user)
            .select_related("signup__activity__organisation")
            .order_by("-day")[:RECENT]
        ),
        removals=list(
            Signup.objects.filter(volunteer=user, status=Signup.Status.REMOVED)
            .select_related("activity__organisation")
            .order_by("-decided_at", "-pk")[:RECENT]
        ),
        hidden_ratings=list(
            Rating.objects.filter(volunteer=user, hidden_at__isnull=False)
            .select_related("activity")
            .order_by("-hidden_at")[:RECENT]
        ),
        refused_checkins=list(
            Attempt.objects.filter(volunteer=user, actor__isnull=True)
            .exclude(result="ok")
            .values("result")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("result", "n")[:10]
        ),
    )


def registrations_for_operator(*, user: User) -> QuerySet[Signup]:
    """The user's registrations for keyset paging by ("-created_at", "-pk")."""
    return Signup.objects.filter(volunteer=user).select_related("activity__organisation")
