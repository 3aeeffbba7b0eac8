"""Certificate rows for the verification and revocation tests, written directly: issuing (the
PDF, hours.certificates.certificate_issue) is built separately (issue #15 §3). The "PDF" is a
small real file in the private storage and its SHA-256 is the hash the row keeps."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from threehours.core.timeutil import local_today
from threehours.hours.certificates import serial_new
from threehours.hours.models import Certificate

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def certificate(
    holder,
    *,
    issued_to=None,
    organisation=None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    all_time: bool = False,
    total_hours: Decimal | str = "12.5",
    holder_masked: str = "王*明",
    content: bytes = PDF_BYTES,
    **overrides,
) -> Certificate:
    """A valid certificate of `holder` (issued to `issued_to`, the holder by default) for
    `date_from`–`date_to` (the last 30 days to today by default)."""
    today = local_today()
    row = Certificate(
        serial=serial_new(),
        holder=holder,
        issued_to=issued_to or holder,
        organisation=organisation,
        date_from=date_from or today - dt.timedelta(days=30),
        date_to=date_to or today,
        all_time=all_time,
        holder_masked=holder_masked,
        total_hours=Decimal(total_hours),
        activity_count=3,
        sha256=hashlib.sha256(content).hexdigest(),
        issued_at=timezone.now(),
        **overrides,
    )
    row.pdf.save(f"{row.serial}.pdf", ContentFile(content), save=False)
    row.save()
    return row
