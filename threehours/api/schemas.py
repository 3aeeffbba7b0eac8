"""Shared API schemas: the error body of API.md and strict input base."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Strict

# Dates arrive as "YYYY-MM-DD" strings in JSON; strict mode would refuse the string.
LaxDate = Annotated[dt.date, Strict(False)]


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
