"""The incentive catalogue over the API (docs/api.md "After the activity", issue #15 §5): the
catalogue, redeeming, my codes, and the operators' incentives and codes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from threehours.core.errors import PermissionDenied
from threehours.core.pagination import keyset_page
from threehours.rewards import selectors, services
from threehours.rewards.models import Incentive

from .auth import token_auth
from .schemas import Hours, Id, LaxDate, Limit, Out, StrictIn, errors

router = Router(tags=["after the activity"], auth=token_auth)

HoursIn = Annotated[float, Field(ge=0, le=float(services.HOURS_MAX), allow_inf_nan=False)]
StockIn = Annotated[int, Field(ge=0, le=services.STOCK_MAX)]
CodeIn = Annotated[str, Field(max_length=64)]


class IncentiveOut(Out):
    id: int
    title: str
    description: str
    partner: str
    organisation_id: int | None
    organisation_name: str | None
    hours_required: Hours
    my_hours: Hours
    hours_missing: Hours
    stock_left: int
    valid_from: dt.date
    valid_until: dt.date
    per_volunteer_limit: str
    requires_real_name: bool
    eligible: bool
    redeemed: bool


class IncentiveListOut(Out):
    items: list[IncentiveOut]
    next_cursor: str | None


class RedemptionOut(Out):
    id: int
    incentive_id: int
    title: str
    partner: str
    code: str
    expires_at: dt.datetime
    expired: bool
    created_at: dt.datetime


class RedemptionListOut(Out):
    items: list[RedemptionOut]
    next_cursor: str | None


class OpsIncentiveIn(StrictIn):
    title: str = Field(max_length=80)
    partner: str = Field(max_length=80)
    description: str = Field("", max_length=5000)
    hours_required: HoursIn
    stock: StockIn = 0
    valid_from: LaxDate
    valid_until: LaxDate
    per_volunteer_limit: Literal["once", "monthly", "yearly"] = "once"
    code_valid_days: Annotated[int, Field(ge=1, le=services.CODE_VALID_DAYS_MAX)] = 30
    requires_real_name: bool = False
    codes: list[CodeIn] | None = Field(None, max_length=services.STOCK_MAX)
    state: Literal["draft", "active"] = "active"


class OpsIncentiveOut(Out):
    id: int
    title: str
    partner: str
    hours_required: Hours
    stock: int
    stock_left: int
    valid_from: dt.date
    valid_until: dt.date
    per_volunteer_limit: str
    state: str


class CodesIn(StrictIn):
    codes: list[CodeIn] | None = Field(None, max_length=services.STOCK_MAX)
    generate: StockIn | None = None


def _row_out(row: selectors.CatalogueRow) -> dict:
    inc = row.incentive
    return {
        "id": inc.pk,
        "title": inc.title,
        "description": inc.description,
        "partner": inc.partner,
        "organisation_id": inc.organisation_id,
        "organisation_name": inc.organisation.name if inc.organisation_id else None,
        "hours_required": inc.hours_required,
        "my_hours": row.hours_have,
        "hours_missing": row.missing,
        "stock_left": inc.stock_left,
        "valid_from": inc.valid_from,
        "valid_until": inc.valid_until,
        "per_volunteer_limit": inc.per_volunteer_limit,
        "requires_real_name": inc.requires_real_name,
        "eligible": row.eligible and row.open_now and not row.redeemed and inc.stock_left > 0,
        "redeemed": row.redeemed,
    }


def _redemption_out(r) -> dict:
    return {
        "id": r.pk,
        "incentive_id": r.incentive_id,
        "title": r.incentive.title,
        "partner": r.incentive.partner,
        "code": r.code.code,
        "expires_at": r.expires_at,
        "expired": selectors.is_expired(r),
        "created_at": r.created_at,
    }


def _ops_out(inc: Incentive) -> dict:
    return {
        "id": inc.pk,
        "title": inc.title,
        "partner": inc.partner,
        "hours_required": inc.hours_required,
        "stock": inc.stock,
        "stock_left": inc.stock_left,
        "valid_from": inc.valid_from,
        "valid_until": inc.valid_until,
        "per_volunteer_limit": inc.per_volunteer_limit,
        "state": inc.state,
    }


def _operator(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied()


@router.get("/incentives", response={200: IncentiveListOut, **errors(400, 401)})
def incentive_list(request: HttpRequest, limit: Limit = 20, cursor: str | None = None):
    """The caller's catalogue: `eligible` is true when they can redeem now (hours, window,
    stock, limit); `hours_missing` says how many service hours are still needed."""
    offer = selectors.offer_for(volunteer=request.user)
    page = keyset_page(selectors.offered(offer=offer), order=("pk",), limit=limit, cursor=cursor)
    rows = selectors.catalogue_rows(volunteer=request.user, offer=offer, incentives=page.items)
    return {"items": [_row_out(r) for r in rows], "next_cursor": page.next_cursor}


@router.post(
    "/incentives/{incentive_id}/redeem",
    response={201: RedemptionOut, **errors(400, 401, 403, 404, 409)},
)
def incentive_redeem(request: HttpRequest, incentive_id: Id):
    """One code for the caller (201 with `code` and `expires_at`); 409 `not_enough_hours`,
    `out_of_stock`, `limit_reached`, `incentive_closed`; 403 `adults_only`; 400
    `phone_not_bound`, `real_name_required`."""
    incentive = selectors.incentive_get_for_volunteer(incentive_id=incentive_id)
    redemption = services.reward_redeem(incentive=incentive, volunteer=request.user)
    return Status(201, _redemption_out(redemption))


@router.get("/me/redemptions", response={200: RedemptionListOut, **errors(400, 401)})
def my_redemptions(request: HttpRequest, limit: Limit = 20, cursor: str | None = None):
    page = keyset_page(
        selectors.redemptions_of_volunteer(volunteer=request.user),
        order=("-pk",),
        limit=limit,
        cursor=cursor,
    )
    return {"items": [_redemption_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/ops/incentives", response={201: OpsIncentiveOut, **errors(400, 401, 403, 409)})
def ops_incentive_create(request: HttpRequest, payload: OpsIncentiveIn):
    """A platform incentive (operators only). Its codes are `codes`, or `stock` generated
    ones when `codes` is absent; it is active unless `state` is "draft"."""
    _operator(request)
    data = services.IncentiveData(
        title=payload.title,
        partner=payload.partner,
        description=payload.description,
        hours_required=services.hours_parse(payload.hours_required),
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        per_volunteer_limit=payload.per_volunteer_limit,
        code_valid_days=payload.code_valid_days,
        requires_real_name=payload.requires_real_name,
    )
    incentive = services.incentive_create_with_codes(
        data=data,
        actor=request.user,
        codes=payload.codes,
        generate=payload.stock,
        activate=payload.state == "active",
    )
    return Status(201, _ops_out(incentive))


@router.post(
    "/ops/incentives/{incentive_id}/codes",
    response={200: OpsIncentiveOut, **errors(400, 401, 403, 404, 409)},
)
def ops_codes_add(request: HttpRequest, incentive_id: Id, payload: CodesIn):
    """Add `codes`, or `generate` that many random ones, to a platform incentive: its stock
    and stock left grow by their number."""
    _operator(request)
    incentive = selectors.access_incentive(incentive_id=incentive_id)
    if payload.codes is not None:
        services.codes_add(incentive=incentive, codes=payload.codes, actor=request.user)
    else:
        services.codes_generate(
            incentive=incentive, count=payload.generate or 0, actor=request.user
        )
    incentive.refresh_from_db()
    return _ops_out(incentive)
