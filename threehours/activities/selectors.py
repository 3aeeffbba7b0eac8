from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet

from threehours.core.pagination import Page, keyset_page

from .models import Activity, AttributeOption


def attribute_lists() -> dict[str, list[AttributeOption]]:
    """The offered options of every attribute list, in display order, keyed by kind."""
    lists: dict[str, list[AttributeOption]] = defaultdict(list)
    for option in AttributeOption.objects.filter(active=True).order_by("kind", "position", "pk"):
        lists[option.kind].append(option)
    return {kind: lists.get(kind, []) for kind in AttributeOption.Kind.values}


def activity_list_for_org(*, org) -> QuerySet[Activity]:
    return (
        Activity.objects.filter(organisation=org)
        .select_related("organisation", "type", "form", "field", "city__parent", "district")
        .prefetch_related("questions")
        .order_by("-created_at", "-pk")
    )


def activity_get_for_org(*, org, activity_id: int) -> Activity | None:
    return Activity.objects.filter(organisation=org, pk=activity_id).first()


def activity_get_published(*, activity_id: int) -> Activity | None:
    """A published activity of an organisation that is not suspended (else None: 404)."""
    return (
        Activity.objects.published()
        .select_related("organisation", "type", "form", "field", "city__parent", "district")
        .prefetch_related("extra_attributes", "questions")
        .filter(pk=activity_id)
        .first()
    )


def activity_search(
    *,
    q: str = "",
    city: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    type: str = "",
    form: str = "",
    online: bool | None = None,
    today: dt.date,
    limit: int = 20,
    cursor: str | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
    radius_km: float | None = None,
) -> Page:
    """Published activities that have not ended, soonest first (keyset pagination).
    Near-me uses a bounding box on the indexed coordinates (≈ radius)."""
    qs = Activity.objects.published().filter(end_date__gte=date_from or today)
    if date_to:
        qs = qs.filter(start_date__lte=date_to)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(organisation__name__icontains=q))
    if city:
        qs = qs.filter(Q(city_id=city) | Q(city__name=city))
    if type:
        qs = qs.filter(type__code=type)
    if form:
        qs = qs.filter(form__code=form)
    if online is not None:
        qs = qs.filter(online=online)
    if lat is not None and lng is not None and radius_km:
        # 1 degree of latitude ≈ 111 km; longitude shrinks with the cosine of the latitude.
        import math

        d_lat = Decimal(str(radius_km / 111.0))
        d_lng = Decimal(str(radius_km / (111.0 * max(0.1, math.cos(math.radians(float(lat)))))))
        qs = qs.filter(
            online=False,
            lat__range=(lat - d_lat, lat + d_lat),
            lng__range=(lng - d_lng, lng + d_lng),
        )
    qs = qs.select_related("organisation", "type", "form", "field", "city__parent", "district")
    qs = qs.prefetch_related("questions")
    return keyset_page(
        qs,
        order=("start_date", "pk"),
        limit=limit,
        cursor=cursor,
        parsers={"start_date": dt.date.fromisoformat},
    )


def cities_with_activities() -> list:
    """Cities that have upcoming published activities, for the city filter."""
    from threehours.orgs.models import Region

    return list(
        Region.objects.select_related("parent")
        .filter(pk__in=Activity.objects.published().filter(city__isnull=False).values("city_id"))
        .order_by("code")
    )
