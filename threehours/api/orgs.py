"""Organisations operations of docs/api.md: sign-up, application, files, submission, review."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from threehours.accounts import services as account_services
from threehours.core.errors import NotFound, PermissionDenied
from threehours.core.ratelimit import ratelimit_check
from threehours.core.timeutil import local_today
from threehours.orgs import selectors, services
from threehours.orgs.models import (
    CertificateRenewal,
    Membership,
    Organisation,
    QualificationFile,
)

from .auth import token_auth
from .schemas import Id, LaxDate, Limit, StrictIn, errors

router = Router(tags=["organisations"])


class SignupIn(StrictIn):
    email: str
    password: str
    agree: bool = Field(
        False,
        description="Agrees to the current user agreement and privacy policy (GET /policies); "
        "without it: 400 `consent_required` and no account.",
    )


class TokenIn(StrictIn):
    token: str


class CreatedOut(Schema):
    id: int


class OkOut(Schema):
    ok: bool


class OrgIn(StrictIn):
    name: str
    category: str
    province: str
    city: str
    district: str
    address: str
    contact_name: str
    contact_phone: str
    intro: str
    credit_code: str | None = None
    certificate_valid_until: LaxDate | None = None


class OrgPatch(StrictIn):
    name: str | None = None
    category: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    intro: str | None = None
    credit_code: str | None = None
    certificate_valid_until: LaxDate | None = None


class FileOut(Schema):
    id: int
    kind: str
    width: int
    height: int


class OrgOut(Schema):
    id: int
    name: str
    category: str
    state: str
    reject_reason: str
    province: str | None
    city: str | None
    district: str | None
    address: str
    contact_name: str
    contact_phone: str
    intro: str
    credit_code: str
    certificate_valid_until: dt.date | None
    can_publish: bool
    suspended: bool
    files: list[FileOut]


class OrgListOut(Schema):
    items: list[OrgOut]
    next_cursor: str | None


class ReasonIn(StrictIn):
    reason: str


def org_out(org: Organisation) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "category": org.category,
        "state": org.state,
        "reject_reason": org.reject_reason,
        "province": org.province_id,
        "city": org.city_id,
        "district": org.district_id,
        "address": org.address,
        "contact_name": org.contact_name,
        "contact_phone": org.contact_phone,
        "intro": org.intro,
        "credit_code": org.credit_code,
        "certificate_valid_until": org.certificate_valid_until,
        "can_publish": org.can_publish_on(local_today()),
        "suspended": org.is_suspended,
        "files": [
            {"id": f.pk, "kind": f.kind, "width": f.width, "height": f.height}
            for f in org.files.filter(renewal__isnull=True)
        ],
    }


def _operator(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied()


@router.post("/orgs/signup", response={201: CreatedOut, **errors(400, 409, 429)}, auth=None)
def org_signup(request: HttpRequest, payload: SignupIn):
    ratelimit_check(request, group="api.org_signup", rate="10/h")
    user = account_services.email_account_register(
        email=payload.email,
        password=payload.password,
        agree=payload.agree,
        ip=request.META.get("REMOTE_ADDR"),
    )
    return Status(201, {"id": user.pk})


@router.post("/orgs/verify-email", response={200: OkOut, **errors(400)}, auth=None)
def org_verify_email(request: HttpRequest, payload: TokenIn):
    account_services.email_verify(token=payload.token)
    return {"ok": True}


@router.post("/orgs", response={201: OrgOut, **errors(400, 401, 403, 409)}, auth=token_auth)
def org_create(request: HttpRequest, payload: OrgIn):
    org = services.org_application_create(user=request.user, data=payload.dict())
    return Status(201, org_out(org))


@router.get("/orgs/{org_id}", response={200: OrgOut, **errors(401, 403, 404)}, auth=token_auth)
def org_get(request: HttpRequest, org_id: Id):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id, allow_suspended=True)
    return org_out(org)


@router.patch(
    "/orgs/{org_id}", response={200: OrgOut, **errors(400, 401, 403, 404, 409)}, auth=token_auth
)
def org_update(request: HttpRequest, org_id: Id, payload: OrgPatch):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id)
    org = services.org_application_update(
        org=org, user=request.user, data=payload.dict(exclude_unset=True)
    )
    return org_out(org)


@router.post(
    "/orgs/{org_id}/files",
    response={201: FileOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def org_file_add(request: HttpRequest, org_id: Id, kind: Form[str], file: File[UploadedFile]):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id)
    row = services.org_file_add(org=org, user=request.user, kind=kind, upload=file)
    return Status(201, {"id": row.pk, "kind": row.kind, "width": row.width, "height": row.height})


@router.delete(
    "/orgs/{org_id}/files/{file_id}",
    response={204: None, **errors(401, 403, 404, 409)},
    auth=token_auth,
)
def org_file_delete(request: HttpRequest, org_id: Id, file_id: Id):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id)
    # Another organisation's file is not found before the state of this one is checked.
    row = selectors.access_file_for_org(org=org, file_id=file_id)
    try:
        services.org_file_delete(org=org, user=request.user, file_id=row.pk)
    except QualificationFile.DoesNotExist as exc:
        raise NotFound() from exc
    return Status(204, None)


@router.post(
    "/orgs/{org_id}/submit",
    response={200: OrgOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def org_submit(request: HttpRequest, org_id: Id):
    org = services.org_submit(
        org=selectors.access_org_for_staff(user=request.user, org_id=org_id), user=request.user
    )
    return org_out(org)


@router.get("/ops/orgs", response={200: OrgListOut, **errors(400, 401, 403)}, auth=token_auth)
def ops_org_list(
    request: HttpRequest, state: str = "", limit: Limit = 20, cursor: str | None = None
):
    _operator(request)
    from threehours.core.pagination import keyset_page

    qs = selectors.org_list_for_operators(state=state)
    ordered = ("submitted_at", "pk") if state == Organisation.State.SUBMITTED else ("-pk",)
    page = keyset_page(
        qs.prefetch_related("files"),
        order=ordered,
        limit=limit,
        cursor=cursor,
        parsers={"submitted_at": dt.datetime.fromisoformat},
    )
    return {"items": [org_out(o) for o in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/ops/orgs/{org_id}/approve",
    response={200: OrgOut, **errors(401, 403, 404, 409)},
    auth=token_auth,
)
def ops_org_approve(request: HttpRequest, org_id: Id):
    _operator(request)
    return org_out(
        services.org_approve(
            org=selectors.access_org_for_operator(user=request.user, org_id=org_id),
            operator=request.user,
        )
    )


@router.post(
    "/ops/orgs/{org_id}/reject",
    response={200: OrgOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_org_reject(request: HttpRequest, org_id: Id, payload: ReasonIn):
    _operator(request)
    return org_out(
        services.org_reject(
            org=selectors.access_org_for_operator(user=request.user, org_id=org_id),
            operator=request.user,
            reason=payload.reason,
        )
    )


class RenewalOut(Schema):
    id: int
    valid_until: dt.date
    state: str
    reject_reason: str


def renewal_out(renewal: CertificateRenewal) -> dict:
    return {
        "id": renewal.pk,
        "valid_until": renewal.valid_until,
        "state": renewal.state,
        "reject_reason": renewal.reject_reason,
    }


@router.post(
    "/orgs/{org_id}/renewals",
    response={201: RenewalOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def org_renewal_submit(
    request: HttpRequest, org_id: Id, valid_until: Form[LaxDate], file: File[UploadedFile]
):
    """Send a renewed registration certificate and its new end date for an operator's check."""
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id, admin=True)
    renewal = services.renewal_submit(
        org=org, user=request.user, valid_until=valid_until, uploads=[file]
    )
    return Status(201, renewal_out(renewal))


@router.post(
    "/ops/renewals/{renewal_id}/accept",
    response={200: RenewalOut, **errors(401, 403, 404, 409)},
    auth=token_auth,
)
def ops_renewal_accept(request: HttpRequest, renewal_id: Id):
    _operator(request)
    return renewal_out(
        services.renewal_accept(
            renewal=selectors.access_renewal_for_operator(user=request.user, renewal_id=renewal_id),
            operator=request.user,
        )
    )


@router.post(
    "/ops/renewals/{renewal_id}/reject",
    response={200: RenewalOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_renewal_reject(request: HttpRequest, renewal_id: Id, payload: ReasonIn):
    _operator(request)
    renewal = services.renewal_reject(
        renewal=selectors.access_renewal_for_operator(user=request.user, renewal_id=renewal_id),
        operator=request.user,
        reason=payload.reason,
    )
    return renewal_out(renewal)


@router.post(
    "/ops/orgs/{org_id}/suspend",
    response={200: OrgOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_org_suspend(request: HttpRequest, org_id: Id, payload: ReasonIn):
    _operator(request)
    org = services.org_suspend(
        org=selectors.access_org_for_operator(user=request.user, org_id=org_id),
        operator=request.user,
        reason=payload.reason,
    )
    return org_out(org)


@router.post(
    "/ops/orgs/{org_id}/reinstate",
    response={200: OrgOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_org_reinstate(request: HttpRequest, org_id: Id, payload: ReasonIn):
    _operator(request)
    org = services.org_reinstate(
        org=selectors.access_org_for_operator(user=request.user, org_id=org_id),
        operator=request.user,
        reason=payload.reason,
    )
    return org_out(org)


class StaffOut(Schema):
    id: int
    email: str | None
    role: str


class InviteIn(StrictIn):
    email: str
    role: str


@router.get(
    "/orgs/{org_id}/staff", response={200: list[StaffOut], **errors(401, 403, 404)}, auth=token_auth
)
def org_staff(request: HttpRequest, org_id: Id):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id)
    return [
        {"id": m.pk, "email": m.user.email, "role": m.role}
        for m in org.memberships.select_related("user").order_by("pk")
    ]


@router.post(
    "/orgs/{org_id}/invitations",
    response={201: CreatedOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def org_invite(request: HttpRequest, org_id: Id, payload: InviteIn):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id)
    invitation = services.staff_invite(
        org=org, inviter=request.user, email=payload.email, role=payload.role
    )
    return Status(201, {"id": invitation.pk})


@router.delete(
    "/orgs/{org_id}/staff/{membership_id}",
    response={204: None, **errors(401, 403, 404, 409)},
    auth=token_auth,
)
def org_staff_remove(request: HttpRequest, org_id: Id, membership_id: Id):
    org = selectors.access_org_for_staff(user=request.user, org_id=org_id)
    try:
        services.staff_remove(org=org, actor=request.user, membership_id=membership_id)
    except Membership.DoesNotExist as exc:
        raise NotFound() from exc
    return Status(204, None)
