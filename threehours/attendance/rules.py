"""Pure time and hours rules of check-in and check-out (PRODUCT.md §4), without the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from threehours.activities.rules import round_hours


def window_bounds(
    day: dt.date, checkin: dt.time, checkout: dt.time, tz
) -> tuple[dt.datetime, dt.datetime]:
    """The day's service window as aware datetimes."""
    return (
        dt.datetime.combine(day, checkin, tzinfo=tz),
        dt.datetime.combine(day, checkout, tzinfo=tz),
    )


def checkin_open(now: dt.datetime, day: dt.date, checkin: dt.time, checkout: dt.time) -> bool:
    """Check-in: on the activity day, from its start (00:00) until the day's check-out time."""
    local = now.astimezone(now.tzinfo)
    return local.date() == day and local.time() <= checkout


def checkout_open(now: dt.datetime, day: dt.date, checkin: dt.time) -> bool:
    """Check-out: from the day's check-in time until the end of that day (24:00)."""
    return now.date() == day and now.time() >= checkin


def credited_hours(
    checked_in_at: dt.datetime,
    checked_out_at: dt.datetime,
    window: tuple[dt.datetime, dt.datetime],
    maximum: Decimal,
) -> Decimal:
    """The overlap of [check-in, check-out] with the day's window, in hours rounded to 0.1 half
    up, never above the daily maximum (13:02–13:59 in 13:00–14:00 → 1.0; 13:10–13:40 → 0.5;
    in early and out late → the window)."""
    start = max(checked_in_at, window[0])
    end = min(checked_out_at, window[1])
    if end <= start:
        return Decimal("0.0")
    seconds = Decimal(int((end - start).total_seconds()))
    return min(round_hours(seconds / Decimal(3600)), maximum)
