"""Issue #16 §6 (docs/api.md "Privacy and account"): the operators' users, take-down and statistics.
Operators only (403 for everyone else); every change goes through the same services as the
operator console."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from pydantic import Field

from threehours.accounts import selectors as account_selectors
from threehours.accounts import services as account_services
from threehours.activities import selectors as activity_selectors
from threehours.activities import services as activity_services
from threehours.core.errors import InvalidInput, PermissionDenied
from threehours.core.pagination import keyset_page
from threehours.core.timeutil import local_today
from threehours.reporting import stats

from .auth import token_auth
from .schemas import Id, Limit, Out, StrictIn, errors

router = Router(tags=["operators"])

Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ReasonIn(StrictIn):
    reason: Annotated[str, Field(max_length=400)] = ""


class OpsUserOut(Out):
    id: int
    display_name: str
    real_name: str
    phone_masked: str
    email: str | None
    date_joined: dt.datetime
    last_login: dt.datetime | None
    state: Literal["active", "disabled", "closing", "closed"]
    disabled_reason: str
    is_operator: bool


class OpsUserListOut(Out):
    items: list[OpsUserOut]
    next_cursor: str | None


class OpsActivityOut(Out):
    id: int
    title: str
    organisation_id: int
    state: str
    taken_down_reason: str
    taken_down_at: dt.datetime | None


class StatRowOut(Out):
    key: str
    label: str
    volunteers: int
    activities: int
    registrations: int
    hours: float
    organisations: int
    volunteers_new: int | None


class StatsOut(Out):
    start: str
    end: str
    group: str
    rows: list[StatRowOut]


def _operator(request: HttpRequest) -> None:
    if not request.user.is_staff:
        raise PermissionDenied()


def _state(user) -> str:
    if user.is_closed:
        return "closed"
    if not user.is_active:
        return "disabled"
    return "closing" if user.is_closing else "active"


def _user_out(user) -> dict:
    return {
        "id": user.pk,
        "display_name": user.display_name,
        "real_name": user.real_name,
        "phone_masked": user.phone_masked,
        "email": user.email,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "state": _state(user),
        "disabled_reason": user.disabled_reason,
        "is_operator": user.is_staff,
    }


def _activity_out(activity) -> dict:
    return {
        "id": activity.pk,
        "title": activity.title,
        "organisation_id": activity.organisation_id,
        "state": activity.state,
        "taken_down_reason": activity.taken_down_reason,
        "taken_down_at": activity.taken_down_at,
    }


@router.get("/ops/users", response={200: OpsUserListOut, **errors(400, 401, 403)}, auth=token_auth)
def ops_user_list(
    request: HttpRequest,
    q: Annotated[str, Field(max_length=60)] = "",
    limit: Limit = 20,
    cursor: str | None = None,
):
    """Find accounts by phone (full, or its last 4 digits), e-mail or name; phones masked."""
    _operator(request)
    page = keyset_page(
        account_selectors.user_search_for_operators(q=q),
        order=("-date_joined", "-pk"),
        limit=limit,
        cursor=cursor,
        parsers={"date_joined": dt.datetime.fromisoformat},
    )
    return {"items": [_user_out(u) for u in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/ops/users/{user_id}/disable",
    response={200: OpsUserOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_user_disable(request: HttpRequest, user_id: Id, payload: ReasonIn):
    """Disable an account with a reason (2–200 characters): its sessions and tokens end, the
    person is told. 403 `cannot_disable_operator`, 409 `account_wrong_state`."""
    _operator(request)
    user = account_selectors.access_user_for_operator(user_id=user_id)
    user = account_services.account_disable(user=user, reason=payload.reason, actor=request.user)
    return _user_out(user)


@router.post(
    "/ops/users/{user_id}/enable",
    response={200: OpsUserOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_user_enable(request: HttpRequest, user_id: Id, payload: ReasonIn):
    """Enable a disabled account again, with a reason; the person is told."""
    _operator(request)
    user = account_selectors.access_user_for_operator(user_id=user_id)
    user = account_services.account_enable(user=user, reason=payload.reason, actor=request.user)
    return _user_out(user)


@router.post(
    "/ops/activities/{activity_id}/take-down",
    response={200: OpsActivityOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_activity_take_down(request: HttpRequest, activity_id: Id, payload: ReasonIn):
    """Take a published activity down with a reason (2–200 characters); registrants and the
    organisation's staff are told. 409 `wrong_state` when it is not published."""
    _operator(request)
    activity = activity_selectors.access_activity_for_operator(activity_id=activity_id)
    activity = activity_services.activity_take_down(
        activity=activity, reason=payload.reason, actor=request.user
    )
    return _activity_out(activity)


@router.post(
    "/ops/activities/{activity_id}/restore",
    response={200: OpsActivityOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def ops_activity_restore(request: HttpRequest, activity_id: Id, payload: ReasonIn):
    """Publish a taken-down activity again, with a reason. 409 `wrong_state` otherwise."""
    _operator(request)
    activity = activity_selectors.access_activity_for_operator(activity_id=activity_id)
    activity = activity_services.activity_restore(
        activity=activity, reason=payload.reason, actor=request.user
    )
    return _activity_out(activity)


@router.get("/ops/stats", response={200: StatsOut, **errors(400, 401, 403)}, auth=token_auth)
def ops_stats(
    request: HttpRequest,
    start: Annotated[Month | None, Query(alias="from")] = None,
    end: Annotated[Month | None, Query(alias="to")] = None,
    group: Literal["month", "province", "city", "type"] = "month",
):
    """The statistics of the roll-up for months `from`–`to` (YYYY-MM; the last 12 months by
    default, at most 120), grouped by month, province, city or activity type. `volunteers`:
    by month, distinct people credited with hours that month; otherwise volunteer-months
    (distinct per month and organisation, added up). `hours`: net service hours."""
    _operator(request)
    last = dt.date.fromisoformat(f"{end}-01") if end else stats.month_start(local_today())
    first = (
        dt.date.fromisoformat(f"{start}-01")
        if start
        else stats.month_start(last - dt.timedelta(days=334))
    )
    if first > last or len(stats.months_between(first, last)) > 120:
        raise InvalidInput(
            fields={"from": [_("From must not be after to, and at most 120 months before it.")]}
        )
    rows = stats.stats_rows(first=first, last=last, group=group)
    return {
        "start": f"{first:%Y-%m}",
        "end": f"{last:%Y-%m}",
        "group": group,
        "rows": [
            {
                "key": r.key,
                "label": r.label,
                "volunteers": r.volunteers,
                "activities": r.activities,
                "registrations": r.registrations,
                "hours": float(r.hours),
                "organisations": r.organisations,
                "volunteers_new": r.volunteers_new,
            }
            for r in rows
        ],
    }
