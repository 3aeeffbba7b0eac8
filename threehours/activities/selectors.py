from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from threehours.core.errors import InvalidInput
from threehours.core.pagination import Page, keyset_page
from threehours.orgs.models import Region

from . import rules
from .models import Activity, AttributeOption
from .search import keyword_filter


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


SORTS = ("soonest", "nearest", "newest")
NEAREST_DEFAULT_RADIUS_KM = 50.0
_M_PER_DEGREE = 111_195.0  # metres per degree of latitude (mean Earth radius)


def _bbox(lat: Decimal, lng: Decimal, radius_km: float) -> tuple[tuple, tuple]:
    # 1 degree of latitude ≈ 111 km; longitude shrinks with the cosine of the latitude.
    d_lat = Decimal(str(round(radius_km / 111.0, 6)))
    cos = max(0.1, math.cos(math.radians(float(lat))))
    d_lng = Decimal(str(round(radius_km / (111.0 * cos), 6)))
    return (lat - d_lat, lat + d_lat), (lng - d_lng, lng + d_lng)


def _distance_sq(lat: Decimal, lng: Decimal):
    """Squared distance in whole square metres on a local flat map (equirectangular), which
    orders places within a city's reach as the true distance does. An integer, so that a
    cursor repeats it exactly on SQLite and PostgreSQL alike."""
    k_lng = _M_PER_DEGREE * math.cos(math.radians(float(lat)))
    d_lat = (Cast("lat", FloatField()) - Value(float(lat))) * Value(_M_PER_DEGREE)
    d_lng = (Cast("lng", FloatField()) - Value(float(lng))) * Value(k_lng)
    return Cast(
        ExpressionWrapper(d_lat * d_lat + d_lng * d_lng, output_field=FloatField()),
        BigIntegerField(),
    )


def _option_id(kind: str, code: str):
    # A subquery rather than a join: the planner compares type_id with one value and walks
    # the (state, type, start_date, …) index in order (a join would sort every match).
    return Subquery(AttributeOption.objects.filter(kind=kind, code=code).values("pk")[:1])


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
    has_places: bool = False,
    sort: str = "soonest",
) -> Page:
    """Published activities that have not ended by `date_from` (default today), keyset-paginated.

    `sort`: soonest (first day, then last day, then id), newest (most recently published) or
    nearest (needs `lat`/`lng`; within `radius_km`, default 50 km). Near-me is a bounding box on
    the indexed coordinates, then the circle on the rows in it. `has_places`: places are left.
    Every filter shape has an index whose order is the sort order (models.Activity.Meta,
    migration 0005).
    Raises InvalidInput for an unknown sort, nearest without a position, or a bad cursor."""
    if sort not in SORTS:
        raise InvalidInput(
            fields={"sort": [_("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORTS)}]}
        )
    near = lat is not None and lng is not None
    if sort == "nearest" and not near:
        raise InvalidInput(fields={"sort": [_("Sorting by distance needs your position.")]})
    day = date_from or today
    qs = Activity.objects.published().filter(
        end_date__gte=day,
        # Redundant with the line above (an activity lasts at most MAX_DAYS days), but it gives
        # the index on start_date a place to begin instead of walking every past activity.
        start_date__gte=day - dt.timedelta(days=rules.MAX_DAYS - 1),
    )
    if date_to:
        qs = qs.filter(start_date__lte=date_to)
    if q:
        qs = keyword_filter(qs, q)
    if city:
        if city.isdigit():
            qs = qs.filter(city_id=city)
        else:
            names = Region.objects.filter(name=city, level=Region.Level.CITY).values("code")
            qs = qs.filter(city_id__in=Subquery(names))
    if type:
        qs = qs.filter(type_id=_option_id("type", type))
    if form:
        qs = qs.filter(form_id=_option_id("form", form))
    if online is not None:
        qs = qs.filter(online=online)
    if has_places:
        qs = qs.filter(places_taken__lt=F("places"))
    if near and (radius_km or sort == "nearest"):
        radius = radius_km or NEAREST_DEFAULT_RADIUS_KM
        lat_range, lng_range = _bbox(lat, lng, radius)
        qs = qs.filter(online=False, lat__range=lat_range, lng__range=lng_range)
        # The box (which the index narrows to) reaches 1.41 × the radius in its corners; the
        # circle is checked on the rows inside it, with * and + only (SQLite may lack trig).
        distance = _distance_sq(lat, lng)
        qs = (
            qs.annotate(distance_sq=distance)
            if sort == "nearest"
            else qs.alias(distance_sq=distance)
        )
        qs = qs.filter(distance_sq__lte=int((radius * 1000) ** 2))
    if sort == "nearest":
        order: tuple[str, ...] = ("distance_sq", "pk")
        parsers: dict = {"distance_sq": int}
    elif sort == "newest":
        order, parsers = ("-published_at", "-pk"), {}
    else:
        order = ("start_date", "end_date", "pk")
        parsers = {"start_date": dt.date.fromisoformat, "end_date": dt.date.fromisoformat}
    page = keyset_page(
        qs.only(*LIST_FIELDS), order=order, limit=limit, cursor=cursor, parsers=parsers
    )
    _attach_related(page.items)
    return page


# What a list shows of each activity (its card, the API's list item); the page opens the rest.
LIST_FIELDS = (
    "id",
    "organisation",
    "title",
    "cover",
    "start_date",
    "end_date",
    "registration_deadline",
    "checkin_time",
    "checkout_time",
    "places",
    "places_taken",
    "fee_yuan",
    "type",
    "form",
    "field",
    "online",
    "address",
    "city",
    "district",
    "lat",
    "lng",
    "state",
    "published_at",
)


def _attach_related(activities: list[Activity]) -> None:
    """Load what a list shows: organisers' names, attribute options and regions from the
    per-process copy (reference.py), no query. Joining them
    into the page query instead makes PostgreSQL plan an eight-table join per request (≈ 10 ms)
    and, misjudging row counts, sometimes join every match before sorting."""
    if not activities:
        return
    from .reference import options_regions_organisations

    options, regions, orgs = options_regions_organisations(
        {pk for a in activities for pk in (a.type_id, a.form_id, a.field_id)},
        {pk for a in activities for pk in (a.city_id, a.district_id) if pk},
        {a.organisation_id for a in activities},
    )
    meta = Activity._meta
    # set_cached_value: what prefetching does, without the descriptor's checks per assignment.
    links = [
        (meta.get_field(name), table)
        for name, table in (
            ("organisation", orgs),
            ("type", options),
            ("form", options),
            ("field", options),
            ("city", regions),
            ("district", regions),
        )
    ]
    for activity in activities:
        for field, table in links:
            field.set_cached_value(activity, table.get(getattr(activity, field.attname)))


def volunteer_city(*, volunteer) -> Region | None:
    """The city of the volunteer's latest registration for an on-site activity (their home
    page shows what is coming up there), or None."""
    from threehours.signups.models import Signup

    latest = (
        Signup.objects.filter(volunteer=volunteer, activity__city__isnull=False)
        .order_by("-created_at", "-pk")
        .values("activity__city_id")[:1]
    )
    return Region.objects.select_related("parent").filter(pk=Subquery(latest)).first()


def cities_with_activities() -> list:
    """Cities that have published activities, for the city filter. One index probe per city
    (EXISTS on the city index) rather than reading every activity's city."""
    published = Activity.objects.published().filter(city_id=OuterRef("pk"))
    return list(
        Region.objects.select_related("parent")
        .filter(level=Region.Level.CITY)
        .filter(Exists(published))
        .order_by("code")
    )
