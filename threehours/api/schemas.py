"""Shared API schemas: the error body of docs/api.md and strict input base."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, Strict

from threehours.core.db import ID_MAX

# Dates arrive as "YYYY-MM-DD" strings in JSON; strict mode would refuse the string.
LaxDate = Annotated[dt.date, Strict(False)]

# docs/api.md: "Hours are decimal numbers with one decimal (1.3)" — a JSON number, not a string.
# Computed as Decimal (exact rounding, ledger sums); one decimal is exact enough as a float.
Hours = Annotated[Decimal, PlainSerializer(float, return_type=float)]


# Numbers are bounded where they come in (issue #12 §6): NaN and ±Infinity are refused (JSON
# allows them as bare tokens, and so does Python's json), and so is anything the product or the
# database cannot hold, so that no service and no query ever sees them.
# A primary key: larger ids never reach the database (core.db.ID_MAX).

# A primary key in a path, a query or a body.
Id = Annotated[int, Field(ge=1, le=ID_MAX)]
# `?limit=` of a list (docs/api.md: max 100).
Limit = Annotated[int, Field(ge=1, le=100)]
# Positions in degrees; whether a place is in China is the service's business.
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
# docs/product.md §2: places up to the organisation's limit, which operators raise to 100000 at
# most.
Places = Annotated[int, Field(ge=1, le=100_000)]
# Yuan per person, free (0) up to 100000.
FeeYuan = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
# docs/product.md §2: a check-in radius of 50 m to 5 km.
RadiusM = Annotated[int, Field(ge=50, le=5000)]
# Discovery's "within" distance (0: the default); the search caps it at 500 km.
RadiusKm = Annotated[float, Field(ge=0, le=20_000, allow_inf_nan=False)]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class StrictIn(Schema):
    # pydantic's lax mode would take `false` for a number or 123 for a string (NOTES.md).
    # NaN and ±Infinity are not numbers any input means (issue #12 §6).
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(statuses, ErrorOut)


class Out(BaseModel):
    """Base of response schemas. Handlers return plain dicts, so the attribute-resolving
    getter of ninja's Schema is not needed; skipping it makes a 20-item list ~3× cheaper
    to validate."""
