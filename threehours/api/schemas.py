"""Shared API schemas: the error body of API.md and strict input base."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import BaseModel, ConfigDict, PlainSerializer, Strict

# Dates arrive as "YYYY-MM-DD" strings in JSON; strict mode would refuse the string.
LaxDate = Annotated[dt.date, Strict(False)]

# API.md: "Hours are decimal numbers with one decimal (1.3)" — a JSON number, not a string.
# Computed as Decimal (exact rounding, ledger sums); one decimal is exact enough as a float.
Hours = Annotated[Decimal, PlainSerializer(float, return_type=float)]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class StrictIn(Schema):
    # pydantic's lax mode would take `false` for a number or 123 for a string (NOTES.md).
    model_config = ConfigDict(strict=True, extra="forbid")


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(statuses, ErrorOut)


class Out(BaseModel):
    """Base of response schemas. Handlers return plain dicts, so the attribute-resolving
    getter of ninja's Schema is not needed; skipping it makes a 20-item list ~3× cheaper
    to validate."""
