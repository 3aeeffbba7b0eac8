"""Volunteer pages: discovery list (filters, near me, "more" with a cursor) and the activity
page. The organisation console's activity pages are in the console (console/activities.py)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from threehours.core.errors import InvalidInput
from threehours.core.geo import position_from_query
from threehours.core.routers import replica_reads
from threehours.core.timeutil import local_today

from . import selectors
from .models import Activity


def _date_or_none(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@replica_reads
def activity_list_view(request: HttpRequest) -> HttpResponse:
    params = request.GET
    lat, lng = position_from_query(params)
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
            radius_km=selectors.NEAR_ME_RADIUS_KM if near else None,
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


@replica_reads
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
