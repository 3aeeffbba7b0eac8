"""How numbers are shown to people: service hours and distances. One function each, used by
the templates (through the `units` filters) and by messages written in Python (flash
messages, notifications, export text), so that every page says the same thing.

The API keeps numbers as numbers (docs/api.md: hours are decimals with one decimal)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _

_TENTH = Decimal("0.1")


def round_hours(value: Decimal) -> Decimal:
    """Round hours to one decimal, half up (11:00–12:15 is 1.25 h → 1.3)."""
    return value.quantize(_TENTH, rounding=ROUND_HALF_UP)


def hours_decimal(value) -> Decimal:
    """`value` as hours rounded to one decimal, half up (docs/product.md §2 and §4).

    Accepts Decimal, int, float (SQLite's sums come back as floats: 1.0 + -0.4 is
    0.6000000000000001) and numeric strings."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        rounded = round_hours(number)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number of hours: {value!r}") from exc
    return rounded if rounded else abs(rounded)  # never "-0.0"


def format_hours(value, *, sign: bool = False) -> str:
    """Hours as people read them: always one decimal ("5.0", "0.6", "-0.4"); with `sign`, a
    plus before a positive number ("+1.5", for ledger entries). Empty for None."""
    if value is None or value == "":
        return ""
    rounded = hours_decimal(value)
    text = str(rounded)
    return f"+{text}" if sign and rounded > 0 else text


def format_distance(metres) -> str:
    """A distance in the request's language: whole metres below 1 km ("850 m", "850 米"),
    kilometres with one decimal below 100 km ("1.2 km"), whole kilometres beyond ("1,072 km").
    Empty for None."""
    if metres is None or metres == "":
        return ""
    whole = round(float(metres))
    if whole < 1000:
        return _("%(n)s m") % {"n": number_format(whole, force_grouping=True)}
    km = whole / 1000
    if round(km, 1) < 100:
        shown = Decimal(str(km)).quantize(_TENTH, rounding=ROUND_HALF_UP)
        return _("%(n)s km") % {"n": number_format(shown, decimal_pos=1)}
    return _("%(n)s km") % {"n": number_format(round(km), force_grouping=True)}
