"""Boundary values of the activity rules (issue: 7 vs 8 days, 8 h vs 8 h 1 min, rounding)."""

import datetime as dt
from decimal import Decimal

import pytest

from threehours.activities import rules

t = dt.time


@pytest.mark.parametrize(
    "checkin,checkout,hours",
    [
        (t(13, 0), t(14, 0), "1.0"),
        (t(11, 0), t(12, 15), "1.3"),
        (t(14, 45), t(19, 0), "4.3"),
        (t(9, 0), t(17, 0), "8.0"),
        (t(9, 0), t(9, 2), "0.0"),
        (t(9, 0), t(9, 3), "0.1"),  # 0.05 h rounds half up
    ],
)
def test_max_hours_per_day_is_the_window_rounded_half_up(checkin, checkout, hours):
    assert rules.max_hours_per_day(checkin, checkout, online=False) == Decimal(hours)


def test_online_activities_credit_a_tenth_of_an_hour():
    assert rules.max_hours_per_day(t(9), t(17), online=True) == Decimal("0.1")


@pytest.mark.parametrize(
    "checkin,checkout,problem",
    [
        (t(9, 0), t(17, 0), None),
        (t(9, 0), t(17, 1), "too_long"),
        (t(9, 0), t(9, 0), "order"),
        (t(14, 0), t(13, 0), "order"),
    ],
)
def test_window_must_be_positive_and_at_most_eight_hours(checkin, checkout, problem):
    assert rules.window_problem(checkin, checkout) == problem


@pytest.mark.parametrize("days,problem", [(1, None), (7, None), (8, "too_long")])
def test_an_activity_lasts_at_most_seven_days(days, problem):
    start = dt.date(2026, 12, 1)
    assert rules.dates_problem(start, start + dt.timedelta(days=days - 1)) == problem


def test_end_before_start_is_refused():
    assert rules.dates_problem(dt.date(2026, 12, 2), dt.date(2026, 12, 1)) == "order"


def test_registration_may_end_on_the_last_day_but_not_after():
    end = dt.date(2026, 12, 3)
    assert rules.deadline_problem(end, end=end) is None
    assert rules.deadline_problem(end + dt.timedelta(days=1), end=end) == "after_end"
