"""The service-hours ledger (docs/product.md §4, issue #6 §4): the only code that writes
LedgerEntry and HoursSummary. Every entry and the summary move in the caller's transaction, or
in the caller's one statement (ledger_append_writes)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.db import Insert, increment, insert_one
from threehours.core.timeutil import local_today

from .certificates import certificates_revoke_covering
from .models import HoursSummary, Kind, LedgerEntry


def kind_of(activity: Activity) -> str:
    """Offline attended service counts as volunteer service time; online activities earn
    participation credit."""
    return Kind.ONLINE if activity.online else Kind.SERVICE


def ledger_append(
    *,
    volunteer: User,
    activity: Activity,
    day,
    hours: Decimal,
    entry_type: str,
    attendance=None,
    actor: User | None = None,
    reason: str = "",
) -> LedgerEntry:
    """Append one entry and move the volunteer's summary by the same amount. Call inside the
    caller's transaction. The unique constraint refuses a second credit for one attendance
    (IntegrityError, which the caller turns into its own refusal)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_append() must run inside transaction.atomic()")
    # insert_one: a check-out's hot path (core.db.insert_one); the row is new, never updated.
    entry = insert_one(
        _entry(volunteer, activity, day, hours, entry_type, attendance, actor, reason)
    )
    field = _summary_field(entry.kind)
    if not increment(HoursSummary, volunteer.pk, field, hours):
        try:
            with transaction.atomic():  # a savepoint: two first credits may race
                HoursSummary.objects.create(volunteer=volunteer, **{field: hours})
        except IntegrityError:
            increment(HoursSummary, volunteer.pk, field, hours)
    if entry_type != LedgerEntry.EntryType.CREDIT or day < local_today():
        # A correction, a reversal or a late credit (a confirmed proposal, a staff check-out
        # of an earlier day) changes hours a certificate may already certify. A check-out's
        # credit for today does not: a certificate certifies what was credited when issued.
        # After the summary moved: its row lock orders this against a certificate being
        # saved (hours.certificates._certificate_save), so neither misses the other.
        certificates_revoke_covering(
            volunteer_id=volunteer.pk, organisation_id=activity.organisation_id, day=day
        )
    return entry


def ledger_append_writes(
    *,
    volunteer: User,
    activity: Activity,
    day,
    hours: Decimal,
    entry_type: str,
    attendance=None,
) -> list[Insert]:
    """What ledger_append writes, as writes for core.db.write_chain: the entry and the summary
    moved by the same amount (an upsert on the volunteer, so a first entry creates the row), for
    a caller that makes them one statement with the write they follow (PostgreSQL; the
    check-out's hot path). The same constraints hold: a second credit for one attendance is an
    IntegrityError that fails the whole statement. `hours` must not be zero (no entry)."""
    entry = _entry(volunteer, activity, day, hours, entry_type, attendance, None, "")
    field = _summary_field(entry.kind)
    summary = HoursSummary(volunteer_id=volunteer.pk, **{field: hours})
    return [Insert(entry), Insert(summary, add=(field,))]


def _entry(volunteer, activity, day, hours, entry_type, attendance, actor, reason) -> LedgerEntry:
    return LedgerEntry(
        volunteer=volunteer,
        activity=activity,
        organisation_id=activity.organisation_id,
        day=day,
        hours=hours,
        kind=kind_of(activity),
        entry_type=entry_type,
        attendance=attendance,
        actor=actor,
        reason=reason,
    )


def _summary_field(kind: str) -> str:
    return "service_hours" if kind == Kind.SERVICE else "online_hours"


def hours_credited_for(attendance) -> Decimal:
    """What the ledger holds for one attendance (its credit plus corrections)."""
    total = LedgerEntry.objects.filter(attendance=attendance).aggregate(s=Sum("hours"))["s"]
    return total or Decimal("0.0")


@dataclass
class Totals:
    service_hours: Decimal
    online_hours: Decimal

    @property
    def total(self) -> Decimal:
        return self.service_hours + self.online_hours


def hours_totals(*, volunteer: User) -> Totals:
    """The volunteer's totals: one indexed row."""
    row = HoursSummary.objects.filter(volunteer=volunteer).first()
    if row is None:
        return Totals(Decimal("0.0"), Decimal("0.0"))
    return Totals(row.service_hours, row.online_hours)


@dataclass
class Difference:
    volunteer_id: int
    kind: str
    summary: Decimal
    ledger: Decimal


def ledger_verify() -> list[Difference]:
    """Recompute every volunteer's totals from the entries and list where the summary row
    disagrees (a missing row counts as zero)."""
    sums: dict[tuple[int, str], Decimal] = {}
    for row in LedgerEntry.objects.values("volunteer_id", "kind").annotate(s=Sum("hours")):
        sums[(row["volunteer_id"], row["kind"])] = row["s"] or Decimal("0.0")
    summaries = {s.volunteer_id: s for s in HoursSummary.objects.all()}
    differences = []
    volunteers = {v for v, _k in sums} | set(summaries)
    for volunteer_id in sorted(volunteers):
        summary = summaries.get(volunteer_id)
        for kind, field in ((Kind.SERVICE, "service_hours"), (Kind.ONLINE, "online_hours")):
            kept = getattr(summary, field) if summary else Decimal("0.0")
            ledger = sums.get((volunteer_id, kind), Decimal("0.0"))
            if kept != ledger:
                differences.append(Difference(volunteer_id, kind, kept, ledger))
    return differences
