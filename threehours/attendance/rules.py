"""Pure time and hours rules of check-in and check-out (docs/product.md §4), without the
database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from threehours.core.numbers import round_hours


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


def is_activity_day(activity, day: dt.date) -> bool:
    """`day` is one of the activity's days (its first to its last)."""
    return activity.start_date <= day <= activity.end_date


# Where a confirmed registrant stands on the check-in page, in the service and the API.
NOT_STARTED = "not_started"  # before the first day
ENDED = "ended"  # after the last day
CHECKIN = "checkin"  # check-in is open
CLOSED = "closed"  # not checked in, and the day's check-in has closed
DONE = "done"  # checked in and out today
CHECKED_IN_EARLY = "checked_in_early"  # checked in; check-out opens at the check-in time
CHECKOUT = "checkout"  # checked in; check-out is open


def checkin_state(
    *, activity, now: dt.datetime, checked_in: bool = False, checked_out: bool = False
) -> str:
    """The one rule of when a registrant may check in or out (docs/product.md §4): on an activity
    day, check-in until the day's check-out time, check-out from the day's check-in time
    until 24:00. `now` is local time; `checked_in` / `checked_out`: today's attendance."""
    day = now.date()
    if day < activity.start_date:
        return NOT_STARTED
    if day > activity.end_date:
        return ENDED
    if not checked_in:
        return (
            CHECKIN
            if checkin_open(now, day, activity.checkin_time, activity.checkout_time)
            else CLOSED
        )
    if checked_out:
        return DONE
    return CHECKOUT if checkout_open(now, day, activity.checkin_time) else CHECKED_IN_EARLY


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


# Why a day earned less than its maximum, for the volunteer's page (issue #13 §5).
NOTHING_IN_WINDOW = "nothing_in_window"
UNDER_MINIMUM = "under_minimum"
LEFT_EARLY = "left_early"
CAME_LATE = "came_late"


def credit_shortfall(
    checked_in_at: dt.datetime,
    checked_out_at: dt.datetime,
    window: tuple[dt.datetime, dt.datetime],
    maximum: Decimal,
) -> str:
    """Why credited_hours() of this stay is below `maximum`: "" when it is not;
    NOTHING_IN_WINDOW when the stay and the window do not overlap; UNDER_MINIMUM when they
    overlap by less than the 3 minutes that round to 0.1 h; else LEFT_EARLY (checked out before
    the window's end) or CAME_LATE (checked in after its start)."""
    hours = credited_hours(checked_in_at, checked_out_at, window, maximum)
    if hours >= maximum:
        return ""
    if min(checked_out_at, window[1]) <= max(checked_in_at, window[0]):
        return NOTHING_IN_WINDOW
    if hours == 0:
        return UNDER_MINIMUM
    return LEFT_EARLY if checked_out_at < window[1] else CAME_LATE


# Position evidence (issue #12 §5): what a coordinator looks at to spot a remote check-in.
SAME_POSITION = "same_position"
NO_ACCURACY = "no_accuracy"
TOO_PRECISE = "too_precise"
ON_SITE_METHODS = ("qr", "code", "green")


def position_flags(
    positions: dict[object, tuple[Decimal | None, Decimal | None, int | None, str]],
    *,
    suspect_m: int,
) -> dict[object, list[str]]:
    """Flags per check-in, from {key: (lat, lng, accuracy in m, method)} of one activity-day:
    the same coordinates as another volunteer (a position typed in, or one phone for
    several people: two real phones never agree to 0.000001°, ~0.1 m), an accuracy absent
    (a browser always reports one) or too good to be a phone's (at most `suspect_m`; phones
    report 5–50 m outdoors). Staff check-ins carry no position and get no flags."""
    seen: dict[tuple[Decimal, Decimal], int] = {}
    for lat, lng, _accuracy, method in positions.values():
        if method in ON_SITE_METHODS and lat is not None and lng is not None:
            seen[(lat, lng)] = seen.get((lat, lng), 0) + 1
    flags: dict[object, list[str]] = {}
    for key, (lat, lng, accuracy, method) in positions.items():
        if method not in ON_SITE_METHODS:
            flags[key] = []
            continue
        found = []
        if lat is not None and lng is not None and seen[(lat, lng)] > 1:
            found.append(SAME_POSITION)
        if accuracy is None:
            found.append(NO_ACCURACY)
        elif accuracy <= suspect_m:
            found.append(TOO_PRECISE)
        flags[key] = found
    return flags


def children_checkin_open(
    *, activity, now: dt.datetime, guardian_in: bool, guardian_out: bool
) -> bool:
    """Children are checked in (docs/product.md §6) while their guardian is checked in and not yet
    out, within the day's check-in time, at an offline activity."""
    return (
        not activity.online
        and guardian_in
        and not guardian_out
        and checkin_state(activity=activity, now=now) == CHECKIN
    )


def children_checkout_open(*, activity, now: dt.datetime, guardian_in: bool) -> bool:
    """Children are checked out once their guardian has checked in that day, while check-out
    is open (the guardian first, then the children, as the guide has it)."""
    return (
        not activity.online
        and guardian_in
        and checkin_state(activity=activity, now=now, checked_in=True) == CHECKOUT
    )
