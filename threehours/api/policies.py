"""Policies and consents of docs/api.md "Privacy and account" (issue #16 §1): the documents in
force,
and the consents a person has given (the user agreement and privacy policy at log-in, the
separate consents before the act that needs them)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Status

from threehours.accounts import consent as consents
from threehours.accounts.models import Consent

from .auth import token_auth
from .schemas import Out, StrictIn, errors

router = Router(tags=["privacy and account"])


class PolicyOut(Out):
    kind: str
    version: int
    title: str
    url: str
    published_at: dt.datetime
    changes: str


class ConsentIn(StrictIn):
    kind: str = Field(
        description="`terms`, `privacy` (the documents, GET /policies), or a separate "
        "consent: `id_number`, `location`, `face`, `child`, `share_with_org`."
    )
    version: int = Field(
        ge=1,
        le=1_000_000,
        description="The version consented to: it must be the current one (for the "
        "documents, GET /policies), else 400 `consent_version_outdated`.",
    )


class ConsentOut(Out):
    kind: str
    version: int
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None


def _consent_out(row: Consent) -> dict:
    return {
        "kind": row.kind,
        "version": row.version,
        "given_at": row.given_at,
        "withdrawn_at": row.withdrawn_at,
    }


@router.get(
    "/policies",
    response={200: list[PolicyOut]},
    auth=None,
    description="The user agreement and the privacy policy in force (public). A log-in "
    "needs `agree: true` when the person has not accepted these versions.",
)
def policies_list(request: HttpRequest):
    current = consents.policies_current()
    return [
        {
            "kind": policy.kind,
            "version": policy.version,
            "title": policy.title,
            "url": settings.SITE_URL + reverse(f"accounts:{policy.kind}"),
            "published_at": policy.published_at,
            "changes": policy.changes,
        }
        for policy in current.values()
    ]


@router.post(
    "/me/consents",
    response={201: ConsentOut, **errors(400, 401)},
    auth=token_auth,
    description="Give a consent (idempotent: giving it again keeps one row). 400 "
    "`invalid_kind` or `consent_version_outdated`.",
)
def consent_give(request: HttpRequest, payload: ConsentIn):
    row = consents.consent_give(
        user=request.user,
        kind=payload.kind,
        version=payload.version,
        ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(201, _consent_out(row))


@router.get(
    "/me/consents",
    response={200: list[ConsentOut], **errors(401)},
    auth=token_auth,
    description="My consents, newest first, withdrawn ones included (with `withdrawn_at`).",
)
def consent_list(request: HttpRequest):
    return [_consent_out(row) for row in consents.consents_of(request.user)]


@router.delete(
    "/me/consents/{kind}",
    response={204: None, **errors(400, 401)},
    auth=token_auth,
    description="Withdraw a separate consent (`location`, `face`, `share_with_org`, "
    "`id_number`, `child`); the act that needs it asks again. The documents cannot be "
    "withdrawn alone (400 `consent_not_withdrawable`: close the account instead).",
)
def consent_withdraw(request: HttpRequest, kind: str):
    consents.consent_withdraw(user=request.user, kind=kind)
    return Status(204, None)
