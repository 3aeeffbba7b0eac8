"""Reads shaped for the organisation console's pages (the domain's own reads are in each
app's selectors.py)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from threehours.activities.models import Activity
from threehours.core.pagination import Page, keyset_page
from threehours.signups.models import HOLDING_PLACE, Signup

CONSOLE_PAGE_SIZE = 50


def activity_list_for_console(
    *,
    org,
    q: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    state: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    """The organisation's activities, newest first, keyset-paginated, each with `registered`
    (live registrations holding a place: confirmed or awaiting review) and `waiting` (on the
    waiting list). `q` matches the title; the dates keep activities that overlap the range.
    Raises InvalidInput for a bad cursor."""
    qs = Activity.objects.filter(organisation=org)
    if q:
        qs = qs.filter(title__icontains=q)
    if date_from:
        qs = qs.filter(end_date__gte=date_from)
    if date_to:
        qs = qs.filter(start_date__lte=date_to)
    if state:
        qs = qs.filter(state=state)
    qs = qs.only(
        "title",
        "online",
        "start_date",
        "end_date",
        "state",
        "places",
        "places_taken",
        "created_at",
    ).annotate(
        registered=Count("signups", filter=Q(signups__status__in=HOLDING_PLACE)),
        waiting=Count("signups", filter=Q(signups__status=Signup.Status.WAITING)),
    )
    return keyset_page(
        qs,
        order=("-created_at", "-pk"),
        limit=limit or CONSOLE_PAGE_SIZE,
        cursor=cursor,
        parsers={"created_at": dt.datetime.fromisoformat},
    )
