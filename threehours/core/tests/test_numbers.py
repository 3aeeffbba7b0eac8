"""Hours and distances as people read them: one function each, one filter each
(core/numbers.py, `{% load units %}`)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from threehours.core.numbers import format_distance, format_hours, hours_decimal


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("5"), "5.0"),  # "5 小时" where 5.0 is meant
        (5, "5.0"),
        (Decimal("0.600000000000000"), "0.6"),  # a SQLite sum after a correction
        (1.0 + -0.4, "0.6"),
        ("1.25", "1.3"),  # half up (docs/product.md §2)
        (Decimal("-0.4"), "-0.4"),
        (Decimal("-0.04"), "0.0"),  # never "-0.0"
        (Decimal("1234.5"), "1234.5"),
        (None, ""),
    ],
)
def test_hours_always_show_one_decimal(value, shown):
    assert format_hours(value) == shown


def test_signed_hours_put_a_plus_before_positive_numbers_only():
    assert [format_hours(v, sign=True) for v in ("1", "-0.5", "0")] == ["+1.0", "-0.5", "0.0"]


def test_hours_decimal_refuses_what_is_not_a_number():
    assert hours_decimal(0.30000000000000004) == Decimal("0.3")
    with pytest.raises(ValueError, match="not a number of hours"):
        hours_decimal("five")


@pytest.mark.parametrize(
    ("metres", "zh", "en"),
    [
        (0, "0 米", "0 m"),
        (850, "850 米", "850 m"),
        (999.4, "999 米", "999 m"),
        (999.6, "1.0 公里", "1.0 km"),  # rounds to 1,000 m: kilometres
        (1000, "1.0 公里", "1.0 km"),
        (1336, "1.3 公里", "1.3 km"),
        (99_949, "99.9 公里", "99.9 km"),
        (99_951, "100 公里", "100 km"),
        (1_072_376, "1072 公里", "1,072 km"),
    ],
)
def test_distances_past_1000_m_are_in_kilometres(metres, zh, en):
    with translation.override("zh-hans"):
        assert format_distance(metres) == zh
    with translation.override("en"):
        assert format_distance(metres) == en


def test_the_filters_format_in_templates():
    template = Template(
        "{% load units %}{{ a|hours }} {{ b|hours }} {{ c|signed_hours }} {{ d|distance }}"
    )
    context = Context({"a": Decimal("0.600000000000000"), "b": 5, "c": Decimal("1"), "d": 1072376})
    with translation.override("en"):
        assert template.render(context) == "0.6 5.0 +1.0 1,072 km"
    with translation.override("zh-hans"):
        assert template.render(context) == "0.6 5.0 +1.0 1072 公里"
