"""Volunteer pages: discovery list (filters, near me, "more" with a cursor) and the activity
page. The organisation console's activity pages are in the console (console/activities.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today

from . import selectors
from .models import Activity


def _decimal_or_none(raw: str | None) -> Decimal | None:
    try:
        value = Decimal(raw) if raw else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() else None


def _date_or_none(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


NEAR_ME_RADIUS_KM = 10.0
HOME_LIMIT = 6


def _position(params) -> tuple[Decimal | None, Decimal | None]:
    """The visitor's position from the "near me" button (GCJ-02), or (None, None)."""
    lat, lng = _decimal_or_none(params.get("lat")), _decimal_or_none(params.get("lng"))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None, None
    if params.get("coord") == "wgs84":
        # The browser's position is WGS-84; stored places are GCJ-02 (PRODUCT.md §4).
        from threehours.core.geo import wgs84_to_gcj02

        g_lat, g_lng = wgs84_to_gcj02(float(lat), float(lng))
        lat, lng = Decimal(str(round(g_lat, 6))), Decimal(str(round(g_lng, 6)))
    return lat, lng


def home_view(request: HttpRequest) -> HttpResponse:
    """Upcoming activities near the visitor when the "near me" button gave a position, else in
    the volunteer's city (that of their latest on-site registration), else the next ones."""
    today = local_today()
    lat, lng = _position(request.GET)
    activities: list[Activity] = []
    scope, city = "all", None
    if lat is not None:
        activities = selectors.activity_search(
            today=today, limit=HOME_LIMIT, lat=lat, lng=lng, radius_km=NEAR_ME_RADIUS_KM
        ).items
        scope = "near"
    if not activities and request.user.is_authenticated:
        city = selectors.volunteer_city(volunteer=request.user)
        if city is not None:
            activities = selectors.activity_search(
                today=today, limit=HOME_LIMIT, city=city.code
            ).items
            scope = "city"
    if not activities:
        activities = selectors.activity_search(today=today, limit=HOME_LIMIT).items
        scope = "all"
    context = {
        "activities": activities,
        "scope": scope,
        "city": city,
        # The visitor asked for "near me" and nothing is within reach: say so above the list.
        "near_none": lat is not None and scope != "near",
        "radius_km": int(NEAR_ME_RADIUS_KM),
        "lat": lat,
        "lng": lng,
    }
    return render(request, "activities/home.html", context)


def activity_list_view(request: HttpRequest) -> HttpResponse:
    params = request.GET
    lat, lng = _position(params)
    online = {"1": True, "0": False}.get(params.get("online", ""))
    near = lat is not None and lng is not None
    sort = params.get("sort", "")
    if sort not in selectors.SORTS or (sort == "nearest" and not near):
        sort = "soonest"  # a page offers "nearest" only with a position; fall back quietly
    try:
        page = selectors.activity_search(
            q=params.get("q", "").strip()[:50],
            city=params.get("city", ""),
            date_from=_date_or_none(params.get("date_from")),
            date_to=_date_or_none(params.get("date_to")),
            type=params.get("type", ""),
            form=params.get("form", ""),
            online=online,
            today=local_today(),
            limit=10,
            cursor=params.get("cursor"),
            lat=lat,
            lng=lng,
            radius_km=NEAR_ME_RADIUS_KM if near else None,
            has_places=params.get("has_places") == "1",
            sort=sort,
        )
    except InvalidInput as exc:
        return HttpResponse(exc.message, status=400, content_type="text/plain; charset=utf-8")
    lists = selectors.attribute_lists()
    context = {
        "page": page,
        "types": lists["type"],
        "forms": lists["form"],
        "cities": selectors.cities_with_activities(),
        "params": params,
        "near": near,
        "sort": sort,
        "query": params.urlencode() if hasattr(params, "urlencode") else "",
    }
    template = (
        "activities/list.html#results"
        if request.htmx and params.get("cursor")
        else "activities/list.html"
    )
    return render(request, template, context)


def activity_detail_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    activity = selectors.activity_get_published(activity_id=activity_id)
    if activity is None:
        raise Http404
    today = local_today()
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "phase": activity.phase_on(today),
            "extra": list(activity.extra_attributes.all()),
            "share_url": request.build_absolute_uri(request.path),
        },
    )


def activity_share_qr_view(request: HttpRequest, activity_id: int, kind: str) -> HttpResponse:
    """The share QR code (SVG or PNG) that opens this activity's page on a phone."""
    import io

    import segno

    if not Activity.objects.published().filter(pk=activity_id).exists():
        raise Http404
    from django.conf import settings
    from django.urls import reverse

    url = settings.SITE_URL + reverse("activities:detail", args=[activity_id])
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=kind, scale=8 if kind == "png" else 6, border=2)
    content_type = "image/png" if kind == "png" else "image/svg+xml"
    return HttpResponse(buffer.getvalue(), content_type=content_type)
