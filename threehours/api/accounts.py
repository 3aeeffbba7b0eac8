"""Accounts operations of docs/api.md: phone-code login, e-mail login, logout, me, real name,
phone."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from threehours.accounts import services
from threehours.accounts.models import SmsCode, User
from threehours.core.ratelimit import ratelimit_check

from .auth import token_auth
from .schemas import StrictIn, errors

router = Router(tags=["accounts"])


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


class PhoneIn(StrictIn):
    phone: str


class PhoneCodeIn(StrictIn):
    phone: str
    code: str


class SmsLoginIn(StrictIn):
    phone: str
    code: str
    agree: bool = Field(
        False,
        description="The person read and agrees to the current user agreement and privacy "
        "policy (GET /policies). Required on the first log-in and after a new version; "
        "without it the answer is 400 `consent_required`, the code stays unused and no "
        "account is created.",
    )
    cancel_closing: bool = Field(
        False,
        description="Cancel the requested closing (注销) of the account and log in; without "
        "it a closing account gets 403 `account_closing` (the code stays unused).",
    )


class EmailLoginIn(StrictIn):
    email: str
    password: str
    agree: bool = Field(False, description="As for the SMS log-in (operators are exempt).")
    cancel_closing: bool = Field(False, description="As for the SMS log-in.")


class RealNameIn(StrictIn):
    real_name: str
    id_number: str
    consent: bool = Field(
        False,
        description="The separate consent to process the ID number (kind `id_number`); "
        "needed unless given before (POST /me/consents). Without it: 400 `consent_required`.",
    )


class ResendOut(Schema):
    resend_after_seconds: int


class OrgRef(Schema):
    id: int
    name: str
    role: str


class MeOut(Schema):
    id: int
    nickname: str
    phone_bound: bool
    phone_masked: str
    email: str | None
    real_name_verified: bool
    real_name: str
    id_number_masked: str
    orgs: list[OrgRef]
    is_operator: bool


class LoginOut(Schema):
    token: str
    user: MeOut
    consents_needed: list[str] = Field(
        default_factory=list,
        description="Documents still to accept (always empty after a successful log-in).",
    )


def me_out(user: User) -> dict:
    return {
        "id": user.pk,
        "nickname": user.display_name,
        "phone_bound": user.phone_bound,
        "phone_masked": user.phone_masked,
        "email": user.email,
        "real_name_verified": user.real_name_verified,
        "real_name": user.real_name,
        "id_number_masked": user.id_number_masked,
        "orgs": user_orgs(user),
        "is_operator": user.is_staff,
    }


def user_orgs(user: User) -> list[dict]:
    """Organisations the user works for, with the user's role."""
    from threehours.orgs.selectors import orgs_of_user

    return [{"id": org.pk, "name": org.name, "role": role} for org, role in orgs_of_user(user=user)]


@router.post("/auth/sms/send", response={200: ResendOut, **errors(400, 429)}, auth=None)
def sms_send(request: HttpRequest, payload: PhoneIn):
    ratelimit_check(request, group="api.sms_send", rate="20/m")
    seconds = services.sms_code_send(
        phone=payload.phone, purpose=SmsCode.Purpose.LOGIN, ip=client_ip(request)
    )
    return {"resend_after_seconds": seconds}


@router.post(
    "/auth/sms/login",
    response={200: LoginOut, **errors(400, 403, 429)},
    auth=None,
    description="Log in with the SMS code; the first log-in creates the account. 400 "
    "`consent_required` when `agree` is needed (nothing written, the code stays usable); "
    "403 `account_closing` (with the closing date) unless `cancel_closing`; 403 "
    "`account_inactive` with the operator's reason.",
)
def sms_login(request: HttpRequest, payload: SmsLoginIn):
    ratelimit_check(request, group="api.sms_login", rate="60/m")
    user = services.phone_login(
        phone=payload.phone,
        code=payload.code,
        agree=payload.agree,
        cancel_closing=payload.cancel_closing,
        ip=client_ip(request),
    )
    return {
        "token": services.token_issue(user=user, name="sms"),
        "user": me_out(user),
        "consents_needed": [],
    }


@router.post(
    "/auth/email/login",
    response={200: LoginOut, **errors(400, 401, 403, 429)},
    auth=None,
    description="Log in with e-mail and password; `agree` and `cancel_closing` as for the SMS "
    "log-in.",
)
def email_login(request: HttpRequest, payload: EmailLoginIn):
    ratelimit_check(request, group="api.email_login", rate="20/m")
    user = services.email_login(
        email=payload.email,
        password=payload.password,
        agree=payload.agree,
        cancel_closing=payload.cancel_closing,
        ip=client_ip(request),
    )
    return {
        "token": services.token_issue(user=user, name="email"),
        "user": me_out(user),
        "consents_needed": [],
    }


@router.post("/auth/logout", response={204: None, **errors(401)}, auth=token_auth)
def logout(request: HttpRequest):
    services.token_revoke(token=request.api_token)
    return Status(204, None)


@router.get("/me", response={200: MeOut, **errors(401)}, auth=token_auth)
def me(request: HttpRequest):
    return me_out(request.user)


@router.put("/me/real-name", response={200: MeOut, **errors(400, 401, 409)}, auth=token_auth)
def real_name(request: HttpRequest, payload: RealNameIn):
    user = services.real_name_set(
        user=request.user,
        real_name=payload.real_name,
        id_number=payload.id_number,
        consent=payload.consent,
        ip=client_ip(request),
    )
    return me_out(user)


@router.post(
    "/me/phone/send", response={200: ResendOut, **errors(400, 401, 409, 429)}, auth=token_auth
)
def phone_send(request: HttpRequest, payload: PhoneIn):
    ratelimit_check(request, group="api.sms_send", rate="20/m")
    seconds = services.phone_bind_send(
        user=request.user, phone=payload.phone, ip=client_ip(request)
    )
    return {"resend_after_seconds": seconds}


@router.post("/me/phone/bind", response={200: MeOut, **errors(400, 401, 409, 429)}, auth=token_auth)
def phone_bind(request: HttpRequest, payload: PhoneCodeIn):
    user = services.phone_bind(user=request.user, phone=payload.phone, code=payload.code)
    return me_out(user)
