"""The operator statistics (issue #16 §6): the roll-up that keeps reporting.models.StatMonth and
StatPlatformMonth, and the reads the statistics page, its CSV and the API make of them.

Each month is recomputed whole, from indexed date ranges (ledger `day`, registration
`created_at`, activity `published_at`, organisation `approved_at`, user `date_joined`), and
replaced in one transaction: running it twice gives the same rows, and a reader sees the old
month or the new one, never half of it. See models.py for what every number means.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities.models import Activity, AttributeOption
from threehours.core.timeutil import local_today, local_tz
from threehours.hours.models import LedgerEntry
from threehours.orgs.models import Organisation, Region
from threehours.signups.models import Signup

from .models import StatMonth, StatPlatformMonth

GROUPS = ("month", "province", "city", "type", "organisation")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_next(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = month_next(month)
    return months


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=local_tz())


# --- the roll-up ------------------------------------------------------------------------------


def stats_rollup_month(*, month: dt.date) -> int:
    """Recompute one month (any day of it) and replace its rows. Returns the number of
    StatMonth rows written."""
    first = month_start(month)
    after = month_next(first)
    since, until = _local_midnight(first), _local_midnight(after)
    cells: dict[tuple[int, int | None], dict[str, int]] = defaultdict(
        lambda: {"activities": 0, "registrations": 0, "hours_tenths": 0, "volunteers": 0}
    )
    ledger = LedgerEntry.objects.filter(day__gte=first, day__lt=after)
    for row in ledger.values("organisation_id", "activity__type_id").annotate(
        hours=Sum("hours"),
        volunteers=Count("volunteer_id", distinct=True, filter=Q(entry_type="credit")),
    ):
        cell = cells[(row["organisation_id"], row["activity__type_id"])]
        cell["hours_tenths"] = int((row["hours"] or Decimal(0)) * 10)
        cell["volunteers"] = row["volunteers"]
    registrations = Signup.objects.filter(created_at__gte=since, created_at__lt=until)
    for row in registrations.values("activity__organisation_id", "activity__type_id").annotate(
        n=Count("id")
    ):
        cells[(row["activity__organisation_id"], row["activity__type_id"])]["registrations"] = row[
            "n"
        ]
    published = Activity.objects.filter(published_at__gte=since, published_at__lt=until)
    for row in published.values("organisation_id", "type_id").annotate(n=Count("id")):
        cells[(row["organisation_id"], row["type_id"])]["activities"] = row["n"]
    approved = set(
        Organisation.objects.filter(approved_at__gte=since, approved_at__lt=until).values_list(
            "pk", flat=True
        )
    )
    org_ids = {org for org, _ in cells} | approved
    places = {
        o["pk"]: (o["province_id"], o["city_id"])
        for o in Organisation.objects.filter(pk__in=org_ids).values("pk", "province_id", "city_id")
    }
    rows = [
        StatMonth(
            month=first,
            organisation_id=org,
            province_id=places[org][0],
            city_id=places[org][1],
            activity_type_id=activity_type,
            **values,
        )
        for (org, activity_type), values in cells.items()
        if any(values.values())
    ]
    rows += [
        StatMonth(
            month=first,
            organisation_id=org,
            province_id=places[org][0],
            city_id=places[org][1],
            activity_type_id=None,
            organisations_approved=1,
        )
        for org in approved
    ]
    platform = {
        "volunteers_new": User.objects.filter(
            date_joined__gte=since, date_joined__lt=until, is_staff=False, guarded=False
        ).count(),
        "volunteers_active": ledger.filter(entry_type="credit")
        .values("volunteer_id")
        .distinct()
        .count(),
        "organisations_approved": len(approved),
        "activities": sum(r.activities for r in rows),
        "registrations": sum(r.registrations for r in rows),
        "hours_tenths": sum(r.hours_tenths for r in rows),
        "computed_at": timezone.now(),
    }
    with transaction.atomic():
        StatMonth.objects.filter(month=first).delete()
        StatMonth.objects.bulk_create(rows, batch_size=2000)
        StatPlatformMonth.objects.update_or_create(month=first, defaults=platform)
    return len(rows)


def stats_rollup_recent(*, today: dt.date | None = None) -> int:
    """The scheduled roll-up: the current and the previous month (entries and corrections of
    last month still arrive in the first days of this one)."""
    this_month = month_start(today or local_today())
    previous = month_start(this_month - dt.timedelta(days=1))
    return stats_rollup_month(month=previous) + stats_rollup_month(month=this_month)


def stats_first_month() -> dt.date | None:
    """The first month anything happened (the start of `stats_rollup --all`)."""
    days = [
        LedgerEntry.objects.aggregate(m=Min("day"))["m"],
        *(
            value.astimezone(local_tz()).date() if value else None
            for value in (
                Signup.objects.aggregate(m=Min("created_at"))["m"],
                Activity.objects.aggregate(m=Min("published_at"))["m"],
                Organisation.objects.aggregate(m=Min("approved_at"))["m"],
                User.objects.aggregate(m=Min("date_joined"))["m"],
            )
        ),
    ]
    days = [d for d in days if d is not None]
    return month_start(min(days)) if days else None


def stats_rollup_all(*, today: dt.date | None = None) -> int:
    """Rebuild every month from the first with data to the current one."""
    first = stats_first_month()
    if first is None:
        return 0
    last = month_start(today or local_today())
    StatMonth.objects.filter(month__lt=first).delete()
    StatPlatformMonth.objects.filter(month__lt=first).delete()
    return sum(stats_rollup_month(month=m) for m in months_between(first, last))


# --- reads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatRow:
    key: str  # stable: "2026-03", a region code, an attribute code, an organisation id
    label: str
    volunteers: int
    activities: int
    registrations: int
    hours: Decimal
    volunteers_new: int | None = None
    organisations: int = 0


def _hours(tenths: int | None) -> Decimal:
    return (Decimal(tenths or 0) / 10).quantize(Decimal("0.1"))


def stats_rows(*, first: dt.date, last: dt.date, group: str, limit: int | None = None):
    """The rows of one statistics table for the months from `first` to `last` (months, any day
    of them), grouped by month, province, city, activity type or organisation. Months without
    data are shown with zeros when grouped by month. One query over the roll-up (plus one for
    the labels)."""
    first, last = month_start(first), month_start(last)
    if group == "month":
        found = {
            row.month: row
            for row in StatPlatformMonth.objects.filter(month__gte=first, month__lte=last)
        }
        rows = []
        for month in months_between(first, last):
            row = found.get(month)
            rows.append(
                StatRow(
                    key=f"{month:%Y-%m}",
                    label=f"{month:%Y-%m}",
                    volunteers=row.volunteers_active if row else 0,
                    volunteers_new=row.volunteers_new if row else 0,
                    organisations=row.organisations_approved if row else 0,
                    activities=row.activities if row else 0,
                    registrations=row.registrations if row else 0,
                    hours=_hours(row.hours_tenths if row else 0),
                )
            )
        return rows
    field = {
        "province": "province_id",
        "city": "city_id",
        "type": "activity_type_id",
        "organisation": "organisation_id",
    }[group]
    query = (
        StatMonth.objects.filter(month__gte=first, month__lte=last)
        .values(field)
        .annotate(
            volunteers=Sum("volunteers"),
            activities=Sum("activities"),
            registrations=Sum("registrations"),
            hours_tenths=Sum("hours_tenths"),
            organisations=Sum("organisations_approved"),
        )
        .order_by("-hours_tenths", field)
    )
    if group == "type":
        query = query.filter(activity_type_id__isnull=False)
    if limit:
        query = query[:limit]
    found = list(query)
    labels = _labels(group, [row[field] for row in found])
    return [
        StatRow(
            key=str(row[field]),
            label=labels.get(row[field], str(row[field])),
            volunteers=row["volunteers"] or 0,
            activities=row["activities"] or 0,
            registrations=row["registrations"] or 0,
            hours=_hours(row["hours_tenths"]),
            organisations=row["organisations"] or 0,
        )
        for row in found
    ]


def _labels(group: str, keys: list) -> dict:
    if group in ("province", "city"):
        regions = Region.objects.filter(pk__in=keys).select_related("parent")
        return {r.pk: r.label for r in regions}
    if group == "type":
        return {o.pk: o.label for o in AttributeOption.objects.filter(pk__in=keys)}
    return dict(Organisation.objects.filter(pk__in=keys).values_list("pk", "name"))
