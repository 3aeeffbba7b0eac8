"""Reads of the incentive catalogue, shaped for its pages and endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from threehours.core.timeutil import local_today
from threehours.hours.selectors import service_hours_by_org
from threehours.hours.services import hours_totals

from .errors import IncentiveNotFound
from .models import Incentive, Redemption
from .services import period_key


@dataclass
class CatalogueRow:
    incentive: Incentive
    hours_have: Decimal
    eligible: bool
    missing: Decimal
    redeemed: bool  # already redeemed in the current limit period
    open_now: bool  # the redemption window includes today


def catalogue_for(*, volunteer) -> list[CatalogueRow]:
    """What `volunteer` is offered: the platform's active incentives and the active ones of
    organisations that credited them service hours, whose window has not ended; with the
    hours each counts, whether they qualify and how many hours are missing. Three queries."""
    today = local_today()
    by_org = service_hours_by_org(volunteer=volunteer)
    platform_hours = hours_totals(volunteer=volunteer).service_hours
    incentives = list(
        Incentive.objects.filter(state=Incentive.State.ACTIVE, valid_until__gte=today)
        .filter(Q(organisation__isnull=True) | Q(organisation_id__in=list(by_org)))
        .select_related("organisation")
        .order_by("hours_required", "pk")
    )
    taken = set(
        Redemption.objects.filter(volunteer=volunteer, incentive__in=incentives).values_list(
            "incentive_id", "period_key"
        )
    )
    rows = []
    for inc in incentives:
        have = platform_hours if inc.organisation_id is None else by_org[inc.organisation_id]
        missing = max(inc.hours_required - have, Decimal("0.0"))
        redeemed = (inc.pk, period_key(inc.per_volunteer_limit, today)) in taken
        rows.append(
            CatalogueRow(
                incentive=inc,
                hours_have=have,
                eligible=missing == 0 and not volunteer.guarded,
                missing=missing,
                redeemed=redeemed,
                open_now=inc.valid_from <= today,
            )
        )
    return rows


def redemptions_of_volunteer(*, volunteer) -> QuerySet[Redemption]:
    """我的权益: the volunteer's own codes, newest first (nobody else's, ever)."""
    return (
        Redemption.objects.filter(volunteer=volunteer)
        .select_related("incentive__organisation", "code")
        .order_by("-created_at", "-pk")
    )


def is_expired(redemption: Redemption) -> bool:
    return redemption.expires_at <= timezone.now()


def incentive_get_for_volunteer(*, incentive_id: int) -> Incentive:
    """An incentive a volunteer may try to redeem (not a draft); whether an organisation's
    incentive is offered to them is checked by the service. Raises IncentiveNotFound."""
    incentive = (
        Incentive.objects.exclude(state=Incentive.State.DRAFT).filter(pk=incentive_id).first()
    )
    if incentive is None:
        raise IncentiveNotFound()
    return incentive


def incentives_of(*, org=None) -> QuerySet[Incentive]:
    """The platform's incentives (`org` None) or an organisation's, newest first."""
    qs = (
        Incentive.objects.filter(organisation=org)
        if org
        else Incentive.objects.filter(organisation__isnull=True)
    )
    return qs.order_by("-created_at", "-pk")


def access_incentive(*, incentive_id: int, org=None) -> Incentive:
    """One incentive of the platform (`org` None, for operators) or of `org` (its staff);
    another's raises IncentiveNotFound like an unknown id."""
    incentive = incentives_of(org=org).filter(pk=incentive_id).first()
    if incentive is None:
        raise IncentiveNotFound()
    return incentive


def redemptions_of_incentive(*, incentive: Incentive) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(incentive=incentive)
        .select_related("volunteer", "code")
        .order_by("-created_at", "-pk")
    )
