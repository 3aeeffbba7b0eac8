"""Reads of the incentive catalogue, shaped for its pages and endpoints."""

from __future__ import annotations

import datetime as dt
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


@dataclass
class Offer:
    """What decides a volunteer's catalogue: their platform service hours and those credited by
    each organisation (two queries)."""

    platform_hours: Decimal
    by_org: dict[int, Decimal]
    today: dt.date


def offer_for(*, volunteer) -> Offer:
    return Offer(
        platform_hours=hours_totals(volunteer=volunteer).service_hours,
        by_org=service_hours_by_org(volunteer=volunteer),
        today=local_today(),
    )


def offered(*, offer: Offer) -> QuerySet[Incentive]:
    """The platform's active incentives and the active ones of organisations that credited the
    volunteer service hours, whose window has not ended."""
    return (
        Incentive.objects.filter(state=Incentive.State.ACTIVE, valid_until__gte=offer.today)
        .filter(
            Q(organisation__isnull=True)
            | Q(
                organisation_id__in=list(offer.by_org),
                organisation__state="approved",
                organisation__suspended_at__isnull=True,
            )
        )
        .select_related("organisation")
    )


def catalogue_rows(*, volunteer, offer: Offer, incentives: list[Incentive]) -> list[CatalogueRow]:
    """`incentives` with the hours each counts, whether the volunteer qualifies, how many hours
    are missing and whether they already redeemed it this period (one query)."""
    taken = set(
        Redemption.objects.filter(volunteer=volunteer, incentive__in=incentives).values_list(
            "incentive_id", "period_key"
        )
    )
    rows = []
    for inc in incentives:
        if inc.organisation_id is None:
            have = offer.platform_hours
        else:
            have = offer.by_org.get(inc.organisation_id, Decimal("0.0"))
        missing = max(inc.hours_required - have, Decimal("0.0"))
        rows.append(
            CatalogueRow(
                incentive=inc,
                hours_have=have,
                eligible=missing == 0 and not volunteer.guarded,
                missing=missing,
                redeemed=(inc.pk, period_key(inc.per_volunteer_limit, offer.today)) in taken,
                open_now=inc.valid_from <= offer.today,
            )
        )
    return rows


def catalogue_for(*, volunteer) -> list[CatalogueRow]:
    """The whole catalogue of `volunteer`, fewest hours first (four queries)."""
    offer = offer_for(volunteer=volunteer)
    incentives = list(offered(offer=offer).order_by("hours_required", "pk"))
    return catalogue_rows(volunteer=volunteer, offer=offer, incentives=incentives)


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
