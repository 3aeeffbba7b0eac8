from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from threehours.activities.models import Activity
from threehours.attendance.models import Attendance, Correction, DayCode
from threehours.attendance.rules import SAME_POSITION
from threehours.attendance.selectors import position_evidence
from threehours.core.errors import NotFound
from threehours.core.models import AuditEntry
from threehours.core.timeutil import local_day_bounds
from threehours.orgs.models import Membership, Organisation
from threehours.signups.models import Signup

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


# --- the operator's integrity report (issue #12 §9) -------------------------------------------

# A row is flagged when corrections raised more than this share of the hours held, or when any
# self-related action was refused.
INTEGRITY_SHARE_FLAG_PERCENT = Decimal("10")
INTEGRITY_DEFAULT_DAYS = 30
ZERO = Decimal("0.0")


@dataclass
class IntegrityRow:
    """One organisation's figures for a period (or, with `organisation_id` None, the total)."""

    organisation_id: int | None
    name: str
    corrections: int = 0  # applied at once or approved, for days in the period
    correction_hours: Decimal = ZERO  # the correction entries' hours, signed
    raised_hours: Decimal = ZERO  # the positive correction entries' hours
    total_hours: Decimal = ZERO  # every ledger entry of the period
    own_refused: int = 0
    pending: int = 0  # waiting for a second staff member now, whatever the day
    rejected: int = 0
    code_rotations: int = 0
    same_position: int = 0

    @property
    def is_total(self) -> bool:
        return self.organisation_id is None

    @property
    def share_percent(self) -> Decimal:
        """The hours corrections raised, as a percentage of all hours of the period (0.0
        when there are none)."""
        if self.total_hours <= 0:
            return ZERO
        return (self.raised_hours * 100 / self.total_hours).quantize(Decimal("0.1"))

    @property
    def share_flagged(self) -> bool:
        return not self.is_total and self.share_percent > INTEGRITY_SHARE_FLAG_PERCENT

    @property
    def flagged(self) -> bool:
        """Worth an operator's look (the total row never is: it only adds the others up)."""
        return self.share_flagged or (not self.is_total and self.own_refused > 0)


def _tenths(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(Decimal("0.1"))


def integrity_default_period(*, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last INTEGRITY_DEFAULT_DAYS days, today included (Asia/Shanghai days)."""
    return today - dt.timedelta(days=INTEGRITY_DEFAULT_DAYS - 1), today


# What integrity.own_refused entries point at today (registrations, corrections), and what they
# may point at tomorrow, with the path to the organisation: each kind found costs one query.
_REFUSAL_TARGETS = {
    "signups.signup": (Signup, "activity__organisation_id"),
    "attendance.correction": (Correction, "organisation_id"),
    "attendance.attendance": (Attendance, "activity__organisation_id"),
    "activities.activity": (Activity, "organisation_id"),
}


def _refusals_by_org(
    *, date_from: dt.date, date_to: dt.date, organisation_id: int | None
) -> dict[int, set[int]]:
    """{organisation id: {audit entry ids}} of the self-related actions refused in the period
    (by created_at, Asia/Shanghai days). An entry belongs to the organisation of its target;
    when the target cannot be placed, to every organisation its actor is staff of. One query
    for the entries, one per kind of target found, one for the actors' memberships."""
    start, end = local_day_bounds(date_from)[0], local_day_bounds(date_to)[1]
    entries = [
        (pk, actor, target_type, int(target) if target.isascii() and target.isdigit() else 0)
        for pk, actor, target_type, target in AuditEntry.objects.filter(
            verb="integrity.own_refused", created_at__gte=start, created_at__lt=end
        ).values_list("pk", "actor_id", "target_type", "target_id")
    ]
    targets: dict[str, set[int]] = {}
    for _pk, _actor, target_type, target_id in entries:
        if target_type in _REFUSAL_TARGETS and target_id:
            targets.setdefault(target_type, set()).add(target_id)
    placed: dict[tuple[str, int], int] = {}
    for target_type, ids in targets.items():
        model, org_field = _REFUSAL_TARGETS[target_type]
        for pk, org_id in model.objects.filter(pk__in=ids).values_list("pk", org_field):
            placed[(target_type, pk)] = org_id
    unplaced_actors = {
        actor
        for _pk, actor, target_type, target_id in entries
        if actor and (target_type, target_id) not in placed
    }
    staff_of: dict[int, list[int]] = {}
    if unplaced_actors:
        for user_id, org_id in Membership.objects.filter(user_id__in=unplaced_actors).values_list(
            "user_id", "organisation_id"
        ):
            staff_of.setdefault(user_id, []).append(org_id)
    found: dict[int, set[int]] = {}
    for pk, actor, target_type, target_id in entries:
        placed_in = placed.get((target_type, target_id))
        for org in [placed_in] if placed_in else staff_of.get(actor, []):
            if organisation_id is None or org == organisation_id:
                found.setdefault(org, set()).add(pk)
    return found


def integrity_report(
    *, date_from: dt.date, date_to: dt.date, organisation=None
) -> list[IntegrityRow]:
    """The operator's integrity report (issue #12 §9): one row per organisation with anything
    in the period — ledger entries, attendance, corrections, code rotations or refusals for
    days from `date_from` to `date_to` (Asia/Shanghai), or corrections pending now — flagged
    rows first, then the total row (last, `organisation_id` None). `organisation` narrows it
    to one. A fixed number of queries whatever the number of organisations: one each for the
    ledger, the corrections, the attended activities, their position evidence, the day codes,
    the refusals (with the few of _refusals_by_org) and the organisations' names."""
    org_id = organisation.pk if organisation is not None else None
    in_period = Q(day__gte=date_from, day__lte=date_to)
    of_org = Q(organisation_id=org_id) if org_id else Q()
    rows: dict[int, IntegrityRow] = {}

    def row(pk: int) -> IntegrityRow:
        return rows.setdefault(pk, IntegrityRow(organisation_id=pk, name=""))

    correction = Q(entry_type=LedgerEntry.EntryType.CORRECTION)
    for found in (
        LedgerEntry.objects.filter(in_period & of_org)
        .values("organisation_id")
        .annotate(
            total=Sum("hours"),
            corrected=Sum("hours", filter=correction),
            raised=Sum("hours", filter=correction & Q(hours__gt=0)),
        )
        .order_by()
    ):
        r = row(found["organisation_id"])
        # quantized: SQLite's sums come back as Decimal("2"), PostgreSQL's as Decimal("2.0")
        r.total_hours = _tenths(found["total"])
        r.correction_hours = _tenths(found["corrected"])
        r.raised_hours = _tenths(found["raised"])

    status = Correction.Status
    for found in (
        Correction.objects.filter((in_period | Q(status=status.PENDING)) & of_org)
        .values("organisation_id")
        .annotate(
            done=Count("pk", filter=in_period & Q(status__in=[status.APPLIED, status.APPROVED])),
            rejected=Count("pk", filter=in_period & Q(status=status.REJECTED)),
            pending=Count("pk", filter=Q(status=status.PENDING)),
        )
        .order_by()
    ):
        r = row(found["organisation_id"])
        r.corrections, r.rejected, r.pending = found["done"], found["rejected"], found["pending"]

    of_activity_org = Q(activity__organisation_id=org_id) if org_id else Q()
    attended = dict(
        Attendance.objects.filter(in_period & of_activity_org)
        .values_list("activity_id", "activity__organisation_id")
        .distinct()
        .order_by()
    )
    for activity_org in attended.values():
        row(activity_org)
    if attended:
        evidence = position_evidence(
            activity_ids=sorted(attended), date_from=date_from, date_to=date_to
        )
        for (activity_id, _volunteer, _day), found in evidence.items():
            if SAME_POSITION in found.flags:
                row(attended[activity_id]).same_position += 1

    for found in (
        DayCode.objects.filter(in_period & of_activity_org)
        .values("activity__organisation_id")
        .annotate(rotations=Sum("generation"))
        .order_by()
    ):
        row(found["activity__organisation_id"]).code_rotations = found["rotations"] or 0

    refusals = _refusals_by_org(date_from=date_from, date_to=date_to, organisation_id=org_id)
    for refused_org, entries in refusals.items():
        row(refused_org).own_refused = len(entries)

    if rows:
        for pk, name in Organisation.objects.filter(pk__in=rows).values_list("pk", "name"):
            rows[pk].name = name
    ordered = sorted(
        rows.values(),
        key=lambda r: (not r.flagged, -r.share_percent, -r.own_refused, r.name, r.organisation_id),
    )
    total = IntegrityRow(organisation_id=None, name="")
    for r in ordered:
        for field in (
            "corrections",
            "correction_hours",
            "raised_hours",
            "total_hours",
            "pending",
            "rejected",
            "code_rotations",
            "same_position",
        ):
            setattr(total, field, getattr(total, field) + getattr(r, field))
    # An entry placed through an actor who is staff of two organisations counts once here.
    total.own_refused = len(set().union(*refusals.values()))
    return [*ordered, total]
