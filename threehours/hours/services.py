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


def ledger_verify(*, batch_size: int = 5000) -> list[Difference]:
    """Recompute every volunteer's totals from the entries and list where the summary row
    disagrees (a missing row counts as zero)."""
    return list(ledger_verify_iter(batch_size=batch_size))


@dataclass
class VerifyProgress:
    volunteers: int = 0
    batches: int = 0


_VERIFY_SQL = """
SELECT u.id,
       ROUND(COALESCE(s.service_hours, 0), 1), ROUND(COALESCE(e.service, 0), 1),
       ROUND(COALESCE(s.online_hours, 0), 1), ROUND(COALESCE(e.online, 0), 1)
FROM {user} u
LEFT JOIN {summary} s ON s.volunteer_id = u.id
LEFT JOIN (
    SELECT volunteer_id,
           SUM(CASE WHEN kind = %s THEN hours ELSE 0 END) AS service,
           SUM(CASE WHEN kind = %s THEN hours ELSE 0 END) AS online
    FROM {entry}
    WHERE volunteer_id > %s AND volunteer_id <= %s
    GROUP BY volunteer_id
) e ON e.volunteer_id = u.id
WHERE u.id > %s AND u.id <= %s
  AND (ROUND(COALESCE(s.service_hours, 0), 1) <> ROUND(COALESCE(e.service, 0), 1)
       OR ROUND(COALESCE(s.online_hours, 0), 1) <> ROUND(COALESCE(e.online, 0), 1))
ORDER BY u.id
"""


def _dec(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


def ledger_verify_iter(*, batch_size: int = 5000, progress: VerifyProgress | None = None):
    """Yield the differences batch by batch, in constant memory: volunteers are walked by
    primary key (keyset pagination, `batch_size` a query) and each batch's entries are summed
    and compared with the summary rows in the database. Every entry and summary row points at
    a user (foreign keys), so walking the users covers both."""
    from django.db import connection

    sql = _VERIFY_SQL.format(
        user=connection.ops.quote_name(User._meta.db_table),
        summary=connection.ops.quote_name(HoursSummary._meta.db_table),
        entry=connection.ops.quote_name(LedgerEntry._meta.db_table),
    )
    progress = progress if progress is not None else VerifyProgress()
    last = 0
    while True:
        ids = list(
            User.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return
        high = ids[-1]
        with connection.cursor() as cursor:
            cursor.execute(sql, [Kind.SERVICE, Kind.ONLINE, last, high, last, high])
            rows = cursor.fetchall()
        for volunteer_id, kept_s, ledger_s, kept_o, ledger_o in rows:
            for kind, kept, ledger in (
                (Kind.SERVICE, _dec(kept_s), _dec(ledger_s)),
                (Kind.ONLINE, _dec(kept_o), _dec(ledger_o)),
            ):
                if kept != ledger:
                    yield Difference(volunteer_id, kind, kept, ledger)
        progress.volunteers += len(ids)
        progress.batches += 1
        last = high
