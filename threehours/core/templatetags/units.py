"""`{% load units %}`: `{{ x|hours }}` and `{{ m|distance }}` (threehours/core/numbers.py)."""

from __future__ import annotations

from django import template

from threehours.core.numbers import format_distance, format_hours

register = template.Library()


@register.filter
def hours(value) -> str:
    """Hours with one decimal: `{{ 5|hours }}` is "5.0", `{{ total|hours }}` never
    "0.600000000000000"."""
    return format_hours(value)


@register.filter
def signed_hours(value) -> str:
    """Hours with one decimal and a plus before a positive number (ledger entries)."""
    return format_hours(value, sign=True)


@register.filter
def distance(metres) -> str:
    """A distance in metres as "850 m" / "1.2 km" / "1,072 km", in the page's language."""
    return format_distance(metres)
