"""Pure rules of the activity form (docs/product.md §2), without the database, so that the service,
the live preview and the tests share one definition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from threehours.core.numbers import round_hours

MAX_DAYS = 7
MAX_WINDOW = dt.timedelta(hours=8)
ONLINE_HOURS = Decimal("0.1")
MAX_REQUIREMENT_CHARS = 20
MAX_QUESTIONS = 5
# Parent-child activities (docs/product.md §6): children are 0 to 17 (family.rules.CHILD_MAX_AGE);
# the organiser's registration commitment (报名承诺) is at most this long.
CHILD_AGE_LIMIT = 17
MAX_COMMITMENT_CHARS = 1000
PARENT_CHILD_TYPE = "parent_child"
DEFAULT_PLACES_LIMIT = 100
RADIUS_DEFAULT_M, RADIUS_MIN_M, RADIUS_MAX_M = 500, 50, 5000


def window_length(checkin: dt.time, checkout: dt.time) -> dt.timedelta:
    day = dt.date(2000, 1, 1)
    return dt.datetime.combine(day, checkout) - dt.datetime.combine(day, checkin)


def max_hours_per_day(checkin: dt.time, checkout: dt.time, *, online: bool) -> Decimal:
    """Daily maximum service hours: computed from the window, never typed (13:00–14:00 → 1.0,
    11:00–12:15 → 1.3, 14:45–19:00 → 4.3); online activities credit 0.1 h."""
    if online:
        return ONLINE_HOURS
    seconds = Decimal(int(window_length(checkin, checkout).total_seconds()))
    return round_hours(seconds / Decimal(3600))


def window_problem(checkin: dt.time, checkout: dt.time) -> str | None:
    """'order' when check-out is not after check-in, 'too_long' past 8 hours, else None."""
    length = window_length(checkin, checkout)
    if length <= dt.timedelta(0):
        return "order"
    if length > MAX_WINDOW:
        return "too_long"
    return None


def dates_problem(start: dt.date, end: dt.date) -> str | None:
    """'order' when the end is before the start, 'too_long' past 7 activity days, else None."""
    if end < start:
        return "order"
    if (end - start).days + 1 > MAX_DAYS:
        return "too_long"
    return None


def deadline_problem(deadline: dt.date, *, end: dt.date) -> str | None:
    """Registration may not end after the last activity day (it may end that very day)."""
    return "after_end" if deadline > end else None


# Issue #12: what a check-in was measured against. Once anyone has checked in, moving the days,
# the daily window, the form (online or not) or the place would re-write the meaning of hours
# already credited; cancelling stays possible.
FROZEN_AFTER_CHECKIN = (
    "start_date",
    "end_date",
    "checkin_time",
    "checkout_time",
    "form",
    "address",
    "lat",
    "lng",
    "checkin_radius_m",
)


def past_day_problem(day: dt.date, *, before: dt.date | None, today: dt.date) -> str | None:
    """Time only moves forward (issue #12): a new or changed activity day may not be before
    today. 'past' when it is; an unchanged day (`before`) may have passed, as the first day of
    an activity in progress has."""
    if day == before:
        return None
    return "past" if day < today else None
