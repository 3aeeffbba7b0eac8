"""Public verification of a certificate (docs/api.md "After the activity", issue #15 §4):
`GET /api/v1/certificates/{serial}`, no authentication, the fields of the page `/verify/<serial>`
and nothing more. Rate-limited per IP like the page (settings.VERIFY_RATE)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Router

from threehours.core.errors import NotFound
from threehours.core.ratelimit import ratelimit_check
from threehours.hours.verification import certificate_public

from .schemas import Hours, Out, errors

router = Router(tags=["after the activity"])


class CertificatePublicOut(Out):
    serial: str
    state: str
    holder_masked: str
    date_from: dt.date
    date_to: dt.date
    all_time: bool
    organisation: str | None
    total_hours: Hours
    sha256: str
    revoked_reason: str | None
    revoked_at: dt.datetime | None
    issued_at: dt.datetime


class CertificateNotFound(NotFound):
    default_message = _("No such certificate.")


@router.get(
    "/certificates/{serial}",
    response={200: CertificatePublicOut, **errors(404, 429)},
    auth=None,
)
def certificate_verify(request: HttpRequest, serial: str):
    """Whether the certificate `serial` (any case; spaces and hyphens tolerated) is genuine:
    `state` `valid` or `revoked` (with `revoked_reason`). 404 `not_found` for an unknown serial."""
    ratelimit_check(request, group="api.verify", rate=settings.VERIFY_RATE)
    row = certificate_public(serial=serial)
    if row is None:
        raise CertificateNotFound()
    return {
        **{k: v for k, v in row.items() if k != "organisation__name"},
        "organisation": row["organisation__name"],
        "revoked_reason": row["revoked_reason"] or None,
    }
