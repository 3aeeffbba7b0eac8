"""Reading a certificate for its public verification (issue #15 §4): the page `/verify/<serial>`
and `GET /api/v1/certificates/{serial}` show the same few fields, read by one indexed query."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import connection

from threehours.core.db import hot_cursor, quote_table
from threehours.orgs.models import Organisation

from .certificates import _ALPHABET, SERIAL_GROUPS
from .models import Certificate

# Crockford's base32 reads the letters people confuse with digits as those digits.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_NOT_SERIAL = re.compile(r"[\s\-‐-―_.·]+")
_BODY = re.compile(f"[{_ALPHABET}]{{{4 * SERIAL_GROUPS}}}")

# The only columns verification reads: never the holder, the activities or the file.
PUBLIC_FIELDS = (
    "serial",
    "state",
    "revoked_reason",
    "revoked_at",
    "holder_masked",
    "organisation__name",
    "date_from",
    "date_to",
    "all_time",
    "total_hours",
    "sha256",
    "issued_at",
)


def serial_normalise(raw: str) -> str | None:
    """The stored form (`3H-XXXX-XXXX-XXXX-XXXX`) of a serial as someone typed it: any case,
    with or without spaces, hyphens or the `3H` prefix, O for 0 and I or L for 1. None when it
    cannot be a serial (no query is sent for it)."""
    text = _NOT_SERIAL.sub("", (raw or "")[:80]).upper()
    if len(text) == 4 * SERIAL_GROUPS + 2 and text.startswith("3H"):
        text = text[2:]
    text = text.translate(_READ_AS)
    if not _BODY.fullmatch(text):
        return None
    return "3H-" + "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def certificate_public(*, serial: str) -> dict | None:
    """What anyone may know of the certificate `serial` (as typed), or None when there is none.
    One query on the serial's unique index."""
    normal = serial_normalise(serial)
    if normal is None:
        return None
    # Hand-written (docs/decisions/0007): the page is read by anyone who scans a QR code, the
    # ORM's compiling cost more than the query, and on PostgreSQL the statement is prepared
    # once per connection (core.db.hot_cursor).
    sql = (
        "SELECT c.serial, c.state, c.revoked_reason, c.revoked_at, c.holder_masked, o.name, "  # noqa: S608
        "c.date_from, c.date_to, c.all_time, c.total_hours, c.sha256, c.issued_at "
        f"FROM {quote_table(Certificate, connection)} c "
        f"LEFT JOIN {quote_table(Organisation, connection)} o ON o.id = c.organisation_id "
        "WHERE c.serial = %s"
    )
    with hot_cursor(connection) as cursor:
        cursor.execute(sql, [normal])
        row = cursor.fetchone()
    if row is None:
        return None
    values = dict(zip(PUBLIC_FIELDS, row, strict=True))
    # SQLite answers naive UTC datetimes and floats through a raw cursor; PostgreSQL the types.
    for name in ("revoked_at", "issued_at"):
        if values[name] is not None and values[name].tzinfo is None:
            values[name] = values[name].replace(tzinfo=dt.UTC)
    values["total_hours"] = Decimal(str(values["total_hours"])).quantize(Decimal("0.1"))
    values["all_time"] = bool(values["all_time"])
    return values
