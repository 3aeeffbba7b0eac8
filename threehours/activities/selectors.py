from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from threehours.core.db import Columns, quote_table
from threehours.core.errors import InvalidInput
from threehours.core.pagination import Page, check_limit, cursor_after, cursor_values
from threehours.core.routers import read_connection
from threehours.orgs.models import Organisation, Region

from . import rules
from .errors import ActivityNotFound
from .models import Activity, AttributeOption
from .search import keyword_condition

# The "near me" button's reach, on the home page and in the list.
NEAR_ME_RADIUS_KM = 10.0


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


def access_activity_for_org(*, org, activity_id: int) -> Activity:
    """An activity of `org` (fetched with access_org_for_staff). Another organisation's
    activity raises ActivityNotFound like an unknown id, so ids reveal nothing."""
    activity = Activity.objects.filter(organisation=org, pk=activity_id).first()
    if activity is None:
        raise ActivityNotFound()
    return activity


def activity_has_attendance(activity: Activity) -> bool:
    """True once anyone has checked in to `activity` (any day, any method): from then on its
    dates, times, form and place are frozen (rules.FROZEN_AFTER_CHECKIN)."""
    return activity.attendances.exists()


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
# Up to this radius a box read through the GiST index beats walking the sort-order index with
# the box as a filter (1,000,000 activities over 300 cities: 10 km 1.8 vs 4.9 ms, 100 km 6.7 vs
# 41 ms, 200 km 24 vs 1.5 ms). Nearest first walks the same index nearest-first (k-NN, below).
GIST_MAX_RADIUS_KM = 100.0
_M_PER_DEGREE = 111_195.0  # metres per degree of latitude (mean Earth radius)


def _bbox(lat: Decimal, lng: Decimal, radius_km: float) -> tuple[tuple, tuple]:
    # 1 degree of latitude ≈ 111 km; longitude shrinks with the cosine of the latitude.
    d_lat = Decimal(str(round(radius_km / 111.0, 6)))
    cos = max(0.1, math.cos(math.radians(float(lat))))
    d_lng = Decimal(str(round(radius_km / (111.0 * cos), 6)))
    return (lat - d_lat, lat + d_lat), (lng - d_lng, lng + d_lng)


def _distance_sq_sql(lat: Decimal, lng: Decimal, vendor: str) -> tuple[str, list]:
    """Squared distance in whole square metres on a local flat map (equirectangular), which
    orders places within a city's reach as the true distance does. An integer, so that a
    cursor repeats it exactly on SQLite and PostgreSQL alike. The expression the ORM wrote for
    Cast(lat, FloatField) and Cast(…, BigIntegerField): PostgreSQL rounds to the integer,
    SQLite truncates; each engine agrees with itself, which is what a cursor needs."""
    k_lng = _M_PER_DEGREE * math.cos(math.radians(float(lat)))
    real, bigint = ("double precision", "bigint") if vendor == "postgresql" else ("real", "bigint")
    d_lat = f"((CAST(a.lat AS {real}) - %s) * %s)"
    d_lng = f"((CAST(a.lng AS {real}) - %s) * %s)"
    sql = f"CAST(({d_lat} * {d_lat}) + ({d_lng} * {d_lng}) AS {bigint})"
    lat_f, lng_f = float(lat), float(lng)
    return sql, [lat_f, _M_PER_DEGREE, lat_f, _M_PER_DEGREE, lng_f, k_lng, lng_f, k_lng]


def _date_param(value: dt.date):
    return _FIELD["start_date"].get_db_prep_value(value, connection)


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
    migrations 0005 and 0007). One hand-written statement (docs/decisions/0007): the ORM spent
    more CPU compiling this query than PostgreSQL spent running it.
    Raises InvalidInput for an unknown sort, nearest without a position, or a bad cursor."""
    if sort not in SORTS:
        raise InvalidInput(
            fields={"sort": [_("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORTS)}]}
        )
    near = lat is not None and lng is not None
    if sort == "nearest" and not near:
        raise InvalidInput(fields={"sort": [_("Sorting by distance needs your position.")]})
    check_limit(limit)
    vendor = connection.vendor
    org_table, region_table, option_table = (
        quote_table(model, connection) for model in (Organisation, Region, AttributeOption)
    )
    day = date_from or today
    where = [
        "a.state = %s",
        # NOT IN a (small, hashed) list rather than a join: the discovery list stays a query on
        # one table, whose planner walks the sort-order index and stops after one page.
        f"NOT (a.organisation_id IN (SELECT u.id FROM {org_table} u"  # noqa: S608 (table names)
        " WHERE u.suspended_at IS NOT NULL))",
        "a.end_date >= %s",
        # Redundant with the line above (an activity lasts at most MAX_DAYS days), but it gives
        # the index on start_date a place to begin instead of walking every past activity.
        "a.start_date >= %s",
    ]
    params: list = [
        Activity.State.PUBLISHED,
        _date_param(day),
        _date_param(day - dt.timedelta(days=rules.MAX_DAYS - 1)),
    ]
    if date_to:
        where.append("a.start_date <= %s")
        params.append(_date_param(date_to))
    if q:
        sql, more = keyword_condition("a.search_text", q, connection)
        if sql:
            where.append(sql)
            params += more
    if city:
        if city.isdigit():
            where.append("a.city_id = %s")
            params.append(city)
        else:
            where.append(
                f"a.city_id IN (SELECT r.code FROM {region_table} r"  # noqa: S608 (table names)
                " WHERE r.level = %s AND r.name = %s)"
            )
            params += [Region.Level.CITY, city]
    for column, kind, code in (("type_id", "type", type), ("form_id", "form", form)):
        if code:
            # A subquery rather than a join: the planner compares type_id with one value and
            # walks the (state, type, start_date, …) index in order (a join would sort every
            # match).
            where.append(
                f"a.{column} = (SELECT o.id FROM {option_table} o WHERE o.code = %s"  # noqa: S608 (table names)
                " AND o.kind = %s ORDER BY o.kind, o.position, o.id LIMIT 1)"
            )
            params += [code, kind]
    if online is not None:
        where.append("a.online" if online else "NOT a.online")
    if has_places:
        where.append("a.places_taken < a.places")
    distance: tuple[str, list] | None = None
    in_box = False
    if near and (radius_km or sort == "nearest"):
        radius = radius_km or NEAREST_DEFAULT_RADIUS_KM
        (lat_lo, lat_hi), (lng_lo, lng_hi) = _bbox(lat, lng, radius)
        where.append("NOT a.online")
        if (
            vendor == "postgresql"
            and not " ".join(q.split())
            and (sort == "nearest" or radius <= GIST_MAX_RADIUS_KM)
        ):
            # The GiST index of migration 0007 on point(lng, lat) holds the box test and the
            # columns the rest of the filter reads. Numeric to double keeps the order, so this
            # box keeps exactly the rows of the BETWEENs below, which it replaces: given both,
            # the planner misjudges the btree range on (state, lat, lng) as cheaper.
            # PostgreSQL estimates every box to hold 0.1 % of the rows, so it would read a wide
            # box through this index even when walking the soonest index would stop sooner, and
            # it would combine it with a common keyword's grams: there the BETWEENs let it
            # choose (bench/README.md has the figures).
            where.append("point(a.lng::float8, a.lat::float8) <@ box(point(%s, %s), point(%s, %s))")
            params += [float(lng_lo), float(lat_lo), float(lng_hi), float(lat_hi)]
            in_box = True
        else:
            where.append("a.lat BETWEEN %s AND %s AND a.lng BETWEEN %s AND %s")
            prep = _FIELD["lat"].get_db_prep_value
            params += [prep(v, connection) for v in (lat_lo, lat_hi, lng_lo, lng_hi)]
        # The box reaches 1.41 × the radius in its corners; the circle is checked on the rows
        # inside it, with * and + only (SQLite may lack trig).
        distance = _distance_sq_sql(lat, lng, vendor)
        where.append(f"{distance[0]} <= %s")
        params += [*distance[1], int((radius * 1000) ** 2)]
    if sort == "nearest":
        assert distance is not None  # noqa: S101  (nearest needs a position: checked above)
        order: tuple[str, ...] = ("distance_sq", "pk")
        keys: list[tuple[str, list, bool]] = [
            (distance[0], distance[1], False),
            ("a.id", [], False),
        ]
        parsers: dict = {"distance_sq": int}
    elif sort == "newest":
        order = ("-published_at", "-pk")
        keys = [("a.published_at", [], True), ("a.id", [], True)]
        parsers = {}
    else:
        order = ("start_date", "end_date", "pk")
        keys = [("a.start_date", [], False), ("a.end_date", [], False), ("a.id", [], False)]
        parsers = {"start_date": dt.date.fromisoformat, "end_date": dt.date.fromisoformat}
    if cursor:
        values = cursor_values(Activity, order, cursor, parsers)
        fields = [name.lstrip("-") for name in order]
        values = [
            v if name == "distance_sq" else _FIELD[name].get_db_prep_value(v, connection)
            for name, v in zip(fields, values, strict=True)
        ]
        steps = []
        for i, (sql, sql_params, desc) in enumerate(keys):
            step = [f"{sql} {'<' if desc else '>'} %s"]
            step_params = [*sql_params, values[i]]
            for j in range(i):
                step.append(f"{keys[j][0]} = %s")
                step_params += [*keys[j][1], values[j]]
            steps.append((" AND ".join(step), step_params))
        where.append("(" + " OR ".join(f"({sql})" for sql, _p in steps) + ")")
        for _sql, step_params in steps:
            params += step_params
        # Implied by the steps above, but PostgreSQL cannot start an index range from an OR:
        # this bound lets a deep page begin at the cursor instead of scanning up to it.
        sql, sql_params, desc = keys[0]
        where.append(f"{sql} {'<=' if desc else '>='} %s")
        params += [*sql_params, values[0]]
    order_sql = ", ".join(f"{sql} {'DESC' if desc else 'ASC'}" for sql, _p, desc in keys)
    order_params = [p for _sql, sql_params, _d in keys for p in sql_params]
    select = _LIST.sql(connection)
    select_params: list = []
    if distance is not None:  # near me: the cards show how far (and "nearest" sorts by it)
        select += f", {distance[0]}"
        select_params = list(distance[1])
    table = _LIST.table(connection)
    if in_box and sort == "nearest":
        # Nearest first as a k-nearest-neighbour scan of the same GiST index (issue #17): the
        # index hands out rows by plain distance in degrees (`<->`), nearest first, and stops
        # after k = one page; reading the whole box and sorting it grew with the box's rows.
        # That order is not the displayed one (a degree of longitude is cos(lat) of a degree of
        # latitude), so it only bounds it: for every row, exact metres >= cos(lat) × 111,195 ×
        # degrees. The k-th exact distance among the k nearest in degrees gives a circle in
        # degrees that holds every row of the exact first page; that circle (≈ k rows, read
        # from the index alone) is then sorted exactly, as before. Same rows, same order.
        assert distance is not None  # noqa: S101
        point = "point(a.lng::float8, a.lat::float8)"
        here = [float(lng), float(lat)]
        to_degrees = _M_PER_DEGREE * max(0.1, math.cos(math.radians(float(lat))))
        knn = (
            f"SELECT {distance[0]} AS d FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608
            f" ORDER BY {point} <-> point(%s, %s) LIMIT %s"
        )
        # 1e-5 degree (≈ 1 m) covers the rounding of the integer squared metres.
        circle = f"{point} <@ circle(point(%s, %s), (SELECT sqrt(max(k.d)) FROM knn k) / %s + 1e-5)"  # noqa: S608
        inner = (
            f"SELECT a.id FROM {table} WHERE {' AND '.join(where)} AND {circle}"  # noqa: S608
            f" ORDER BY {order_sql} LIMIT %s"
        )
        statement = (
            f"WITH knn AS MATERIALIZED ({knn}) SELECT {select} FROM {table}"  # noqa: S608
            f" WHERE a.id IN ({inner}) ORDER BY {order_sql}"
        )
        params = [
            *[*distance[1], *params, *here, limit + 1],
            *select_params,
            *[*params, *here, to_degrees, *order_params, limit + 1],
            *order_params,
        ]
    elif in_box:
        # Two steps: the page's ids from the GiST index alone (an index-only scan, no visit to
        # the ≈ 1,000 rows of the box), then those rows.
        inner = (
            f"SELECT a.id FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608
            f" ORDER BY {order_sql} LIMIT %s"
        )
        statement = f"SELECT {select} FROM {table} WHERE a.id IN ({inner}) ORDER BY {order_sql}"  # noqa: S608
        params = [*select_params, *params, *order_params, limit + 1, *order_params]
    else:
        statement = (
            f"SELECT {select} FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608
            f" ORDER BY {order_sql} LIMIT %s"
        )
        params = [*select_params, *params, *order_params, limit + 1]
    with read_connection().cursor() as db_cursor:
        db_cursor.execute(statement, params)
        rows = db_cursor.fetchall()
    items = _list_items(rows[:limit])
    if distance is not None:
        for activity, row in zip(items, rows, strict=False):
            activity.distance_sq = row[len(_LIST)]
            activity.distance_m = round(math.sqrt(activity.distance_sq))
    _attach_related(items)
    next_cursor = cursor_after(items[-1], order) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


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
_LIST = Columns(Activity, "a", LIST_FIELDS)


def _list_items(rows: list[tuple]) -> list[Activity]:
    """Activities holding LIST_FIELDS from the first columns of `rows` (Columns.load_rows: no
    Model.__init__, so Activity's cover-dimension receiver does not query per row)."""
    return _LIST.load_rows(rows, connection)


_FIELD = {**{f.name: f for f in Activity._meta.concrete_fields}, "pk": Activity._meta.pk}


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


# --- the operator console (issue #16 §6) -------------------------------------------------------

OPERATOR_STATES = ("published", "taken_down", "cancelled", "draft")


def activity_search_for_operators(*, q: str = "", state: str = ""):
    """Activities of every organisation for the operator's list, newest first: `q` matches
    the title or the organisation's name, or is an activity id; `state` one of OPERATOR_STATES.
    The caller pages the result."""
    from django.db.models import Q

    qs = Activity.objects.select_related("organisation")
    q = (q or "").strip()
    if q:
        match = Q(title__icontains=q) | Q(organisation__name__icontains=q)
        if q.isdigit() and len(q) < 12:
            match |= Q(pk=int(q))
        qs = qs.filter(match)
    if state in OPERATOR_STATES:
        qs = qs.filter(state=state)
    return qs


def access_activity_for_operator(*, activity_id: int) -> Activity:
    """Any activity by id, for an operator. Unknown ids raise ActivityNotFound."""
    activity = Activity.objects.select_related("organisation").filter(pk=activity_id).first()
    if activity is None:
        raise ActivityNotFound()
    return activity
