"""Certificates over the API (docs/api.md "After the activity", issue #15 §3): issue one for myself
or one of my children, list mine, download a PDF. Rules live in hours.certificates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from ninja import Router, Status
from pydantic import Field

from threehours.core.errors import NotFound
from threehours.core.pagination import keyset_page
from threehours.core.ratelimit import ratelimit_check
from threehours.family.selectors import access_child_for_guardian
from threehours.hours.certificates import (
    access_certificate,
    certificate_issue,
    certificates_of,
)
from threehours.hours.errors import NotGuardian
from threehours.hours.models import Certificate
from threehours.orgs.models import Organisation

from .auth import token_auth
from .schemas import Hours, Id, LaxDate, Limit, Out, StrictIn, errors

router = Router(tags=["after the activity"])

# The same budget as the page (hours.views): rendering a PDF costs CPU.
ISSUE_RATE = "20/h"
ISSUE_RATE_GROUP = "hours.certificate_issue"

Serial = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z-]+$")]


class CertificateIn(StrictIn):
    date_from: LaxDate | None = None
    date_to: LaxDate | None = None
    org_id: Id | None = None
    child_id: Id | None = None
    include_evaluations: bool = False
    language: Literal["zh-hans", "en"] = "zh-hans"


class CertificateIssuedOut(Out):
    serial: str
    pdf_url: str
    total_hours: Hours


class CertificateOut(Out):
    serial: str
    state: str
    revoked_reason: str
    revoked_at: dt.datetime | None
    holder_id: int
    holder_masked: str
    organisation_id: int | None
    date_from: dt.date
    date_to: dt.date
    all_time: bool
    language: str
    include_evaluations: bool
    total_hours: Hours
    activity_count: int
    sha256: str
    issued_at: dt.datetime
    pdf_url: str
    verify_url: str


class CertificateListOut(Out):
    items: list[CertificateOut]
    next_cursor: str | None


def _pdf_url(serial: str) -> str:
    return reverse("api:certificate_pdf", args=[serial])


def _out(certificate: Certificate) -> dict[str, Any]:
    return {
        "serial": certificate.serial,
        "state": certificate.state,
        "revoked_reason": certificate.revoked_reason,
        "revoked_at": certificate.revoked_at,
        "holder_id": certificate.holder_id,
        "holder_masked": certificate.holder_masked,
        "organisation_id": certificate.organisation_id,
        "date_from": certificate.date_from,
        "date_to": certificate.date_to,
        "all_time": certificate.all_time,
        "language": certificate.language,
        "include_evaluations": certificate.include_evaluations,
        "total_hours": certificate.total_hours,
        "activity_count": certificate.activity_count,
        "sha256": certificate.sha256,
        "issued_at": certificate.issued_at,
        "pdf_url": _pdf_url(certificate.serial),
        "verify_url": reverse("hours:verify", args=[certificate.serial]),
    }


@router.post(
    "/me/certificates",
    response={201: CertificateIssuedOut, **errors(400, 401, 403, 404, 409, 429)},
    auth=token_auth,
)
def certificate_create(request: HttpRequest, payload: CertificateIn):
    """Issue a certificate of my (or my child's, `child_id`) volunteer service time; without
    dates, of all time. 409 `no_hours` when the period holds none."""
    ratelimit_check(request, group=ISSUE_RATE_GROUP, rate=ISSUE_RATE, key="user")
    holder = request.user
    if payload.child_id is not None:
        try:
            holder = access_child_for_guardian(guardian=request.user, child_id=payload.child_id)
        except NotFound as exc:
            raise NotGuardian() from exc
    organisation = None
    if payload.org_id is not None:
        organisation = Organisation.objects.filter(pk=payload.org_id).first()
        if organisation is None:
            raise NotFound()
    certificate = certificate_issue(
        requester=request.user,
        holder=holder,
        date_from=payload.date_from,
        date_to=payload.date_to,
        organisation=organisation,
        language=payload.language,
        include_evaluations=payload.include_evaluations,
    )
    return Status(
        201,
        {
            "serial": certificate.serial,
            "pdf_url": _pdf_url(certificate.serial),
            "total_hours": certificate.total_hours,
        },
    )


@router.get(
    "/me/certificates",
    response={200: CertificateListOut, **errors(400, 401)},
    auth=token_auth,
)
def certificate_list(
    request: HttpRequest,
    state: Literal["", "valid", "revoked"] = "",
    limit: Limit = 20,
    cursor: str | None = None,
):
    """My certificates and my children's, newest first, with their state."""
    certificates = certificates_of(user=request.user)
    if state:
        certificates = certificates.filter(state=state)
    page = keyset_page(certificates, order=("-pk",), limit=limit, cursor=cursor)
    return {"items": [_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/me/certificates/{serial}/pdf",
    response={200: None, **errors(401, 404)},
    auth=token_auth,
    url_name="certificate_pdf",
    openapi_extra={
        "responses": {
            200: {
                "description": "The certificate's PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def certificate_pdf(request: HttpRequest, serial: Serial):
    """The stored PDF of one of my certificates (byte for byte what its SHA-256 fixes)."""
    certificate = access_certificate(user=request.user, serial=serial)
    with certificate.pdf.open("rb") as file:
        data = file.read()
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"certificate-{certificate.serial}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
