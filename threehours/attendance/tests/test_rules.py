import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from threehours.attendance import rules

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 5)
WINDOW = rules.window_bounds(DAY, dt.time(13, 0), dt.time(14, 0), TZ)


def _at(h, m):
    return dt.datetime.combine(DAY, dt.time(h, m), tzinfo=TZ)


@pytest.mark.parametrize(
    ("checkin", "checkout", "hours"),
    [
        ((13, 2), (13, 59), "1.0"),  # 57 min = 0.95 h → 1.0 half up
        ((13, 10), (13, 40), "0.5"),
        ((12, 0), (15, 30), "1.0"),  # in early, out late: at most the window
        ((13, 0), (13, 2), "0.0"),  # 0.033 h
        ((13, 0), (13, 3), "0.1"),  # 0.05 h → 0.1 half up
        ((14, 30), (15, 0), "0.0"),  # after the window
    ],
)
def test_credited_hours_are_the_overlap_rounded_half_up(checkin, checkout, hours):
    got = rules.credited_hours(_at(*checkin), _at(*checkout), WINDOW, Decimal("1.0"))
    assert got == Decimal(hours)


@pytest.mark.parametrize(
    ("checkin", "checkout", "why"),
    [
        ((12, 50), (14, 10), ""),  # the whole window
        ((13, 2), (13, 59), ""),  # rounds to the maximum
        ((12, 30), (13, 1), rules.UNDER_MINIMUM),  # 1 min of the window: 0.0 h
        ((12, 0), (12, 59), rules.NOTHING_IN_WINDOW),
        ((14, 0), (14, 30), rules.NOTHING_IN_WINDOW),
        ((13, 0), (13, 30), rules.LEFT_EARLY),
        ((13, 30), (14, 30), rules.CAME_LATE),
    ],
)
def test_credit_shortfall_names_why_a_day_earned_less(checkin, checkout, why):
    assert rules.credit_shortfall(_at(*checkin), _at(*checkout), WINDOW, Decimal("1.0")) == why


def test_credited_hours_never_exceed_the_daily_maximum():
    window = rules.window_bounds(DAY, dt.time(11, 0), dt.time(12, 15), TZ)
    assert rules.credited_hours(_at(10, 0), _at(13, 0), window, Decimal("1.3")) == Decimal("1.3")
    assert rules.credited_hours(_at(10, 0), _at(13, 0), window, Decimal("1.0")) == Decimal("1.0")


def test_checkin_is_open_until_the_days_checkout_time():
    assert rules.checkin_open(_at(0, 0), DAY, dt.time(13), dt.time(14))
    assert rules.checkin_open(_at(14, 0), DAY, dt.time(13), dt.time(14))
    assert not rules.checkin_open(_at(14, 1), DAY, dt.time(13), dt.time(14))
    assert not rules.checkin_open(_at(13, 0), DAY + dt.timedelta(days=1), dt.time(13), dt.time(14))


def test_checkout_is_open_from_the_checkin_time_to_midnight():
    assert not rules.checkout_open(_at(12, 59), DAY, dt.time(13))
    assert rules.checkout_open(_at(13, 0), DAY, dt.time(13))
    assert rules.checkout_open(_at(23, 59), DAY, dt.time(13))


class _Activity:
    """Only what the check-in rule reads: two days, 13:00–14:00."""

    start_date, end_date = DAY, DAY + dt.timedelta(days=1)
    checkin_time, checkout_time = dt.time(13, 0), dt.time(14, 0)


@pytest.mark.parametrize(
    ("now", "checked_in", "checked_out", "state"),
    [
        (_at(9, 0) - dt.timedelta(days=1), False, False, rules.NOT_STARTED),
        (_at(0, 0), False, False, rules.CHECKIN),  # open from the day's start
        (_at(14, 0), False, False, rules.CHECKIN),  # until the check-out time, included
        (_at(14, 1), False, False, rules.CLOSED),
        (_at(12, 59), True, False, rules.CHECKED_IN_EARLY),
        (_at(13, 0), True, False, rules.CHECKOUT),  # from the check-in time
        (_at(23, 59), True, False, rules.CHECKOUT),  # until 24:00
        (_at(13, 30), True, True, rules.DONE),
        (_at(9, 0) + dt.timedelta(days=1), False, False, rules.CHECKIN),  # the second day
        (_at(9, 0) + dt.timedelta(days=2), True, False, rules.ENDED),
    ],
)
def test_checkin_state_is_the_one_rule_of_when_to_check_in_and_out(
    now, checked_in, checked_out, state
):
    found = rules.checkin_state(
        activity=_Activity(), now=now, checked_in=checked_in, checked_out=checked_out
    )
    assert found == state
