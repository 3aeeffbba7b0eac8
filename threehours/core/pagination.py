"""Keyset (cursor) pagination for lists, as docs/api.md asks: `?limit=` (max 100) and an opaque
`?cursor=`. No OFFSET: a page costs the same however deep it is."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .errors import InvalidInput

MAX_LIMIT = 100


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(fields={"cursor": [_("This cursor is not valid.")]}) from exc
    if not isinstance(values, list) or len(values) != count:
        raise InvalidInput(fields={"cursor": [_("This cursor is not valid.")]})
    return values


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            fields={"limit": [_("Use a limit from 1 to %(max)s.") % {"max": MAX_LIMIT}]}
        )
    return limit


def cursor_values(
    model, order: tuple[str, ...], cursor: str, parsers: dict[str, Any] | None = None
) -> list[Any]:
    """The values of `cursor` for the sort keys `order` of `model` (field names, "-" for
    descending), parsed by `parsers` and checked against the model's fields, so that a forged
    cursor is a 400 rather than a database error. Keys that are not fields (an annotation) are
    only parsed. Raises InvalidInput."""
    fields = [name.lstrip("-") for name in order]
    values = _decode(cursor, len(fields))
    for i, name in enumerate(fields):
        parse = (parsers or {}).get(name)
        if parse is not None:
            try:
                values[i] = parse(values[i])
            except (TypeError, ValueError) as exc:
                raise InvalidInput(fields={"cursor": [_("This cursor is not valid.")]}) from exc
    meta = model._meta
    for i, name in enumerate(fields):
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            continue
        try:
            if values[i] is None:
                raise ValidationError("null")
            values[i] = field.to_python(values[i])
            field.run_validators(values[i])
        except (ValidationError, TypeError, ValueError) as exc:
            raise InvalidInput(fields={"cursor": [_("This cursor is not valid.")]}) from exc
    return values


def cursor_after(item: Any, order: tuple[str, ...]) -> str:
    """The cursor that continues a list after `item` (its attributes named by `order`)."""
    return _encode([getattr(item, name.lstrip("-")) for name in order])


def keyset_page(
    queryset: QuerySet,
    *,
    order: tuple[str, ...],
    limit: int,
    cursor: str | None,
    parsers: dict[str, Any] | None = None,
) -> Page:
    """One page of `queryset` ordered by `order` (field names, "-" for descending; the last must
    be unique, e.g. "-pk"). `parsers` turns cursor strings back into values (e.g. datetimes)."""
    check_limit(limit)
    fields = [name.lstrip("-") for name in order]
    queryset = queryset.order_by(*order)
    if cursor:
        values = cursor_values(queryset.model, order, cursor, parsers)
        condition = Q()
        for i, name in enumerate(order):
            field = fields[i]
            step = Q(**{f"{field}__{'lt' if name.startswith('-') else 'gt'}": values[i]})
            for j in range(i):
                step &= Q(**{fields[j]: values[j]})
            condition |= step
        if len(order) > 1:
            # Implied by the steps above, but PostgreSQL cannot start an index range from an
            # OR: this bound lets a deep page begin at the cursor instead of scanning up to it.
            first = f"{fields[0]}__{'lte' if order[0].startswith('-') else 'gte'}"
            condition &= Q(**{first: values[0]})
        queryset = queryset.filter(condition)
    rows = list(queryset[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = cursor_after(items[-1], order) if more else None
    return Page(items=items, next_cursor=next_cursor)
