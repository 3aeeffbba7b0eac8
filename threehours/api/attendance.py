"""Attendance and hours operations of API.md: check-in / check-out with a QR token or the code
and the position, my hours, the staff's check-in code and corrections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Router

from threehours.activities import selectors as activity_selectors
from threehours.activities.errors import ActivityNotFound
from threehours.attendance import codes, selectors, services
from threehours.attendance.services import Proof
from threehours.core.timeutil import local_today, local_tz
from threehours.hours.selectors import ledger_of
from threehours.hours.services import hours_totals
from threehours.orgs.selectors import org_for_staff
from threehours.signups.errors import SignupNotFound
from threehours.signups.selectors import signup_get_for_org

from .auth import token_auth
from .schemas import Hours, LaxDate, Out, StrictIn, errors

router = Router(tags=["attendance"])


class CheckIn(StrictIn):
    qr_token: str | None = None
    code: str | None = None
    lat: float | None = None
    lng: float | None = None
    coord: Literal["wgs84", "gcj02"] = "wgs84"
    accuracy: float | None = None
    identity: str | None = None


class CheckInOut(Out):
    day: dt.date
    checked_in_at: dt.datetime


class CheckOutOut(Out):
    day: dt.date
    checked_out_at: dt.datetime
    hours: Hours


class EntryOut(Out):
    activity_id: int
    activity_title: str
    day: dt.date
    hours: Hours
    kind: str
    entry_type: str
    reason: str
    created_at: dt.datetime


class HoursOut(Out):
    total_hours: Hours
    service_hours: Hours
    online_hours: Hours
    entries: list[EntryOut]


class CodeOut(Out):
    code: str
    qr_url: str
    qr_expires_at: dt.datetime


class CorrectionIn(StrictIn):
    """`checkin_at` / `checkout_at`: "HH:MM" in Beijing time, or ISO 8601 with an offset."""

    day: LaxDate
    checkin_at: str
    checkout_at: str
    reason: str = ""


class AttendanceOut(Out):
    day: dt.date
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None
    hours: Hours | None


def _proof(request: HttpRequest, payload: CheckIn) -> Proof:
    def dec(value: float | None) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return Proof(
        qr_token=payload.qr_token or "",
        code=payload.code or "",
        lat=dec(payload.lat),
        lng=dec(payload.lng),
        coord=payload.coord,
        accuracy_m=None if payload.accuracy is None else int(min(payload.accuracy, 1e6)),
        identity=payload.identity or "",
        user_agent=request.headers.get("User-Agent", ""),
    )


def _target(request: HttpRequest, activity_id: int, *, day: dt.date | None = None) -> dict:
    """The activity and, on the usual path, the caller's confirmed registration (one query;
    with `day`, with that day's attendance, which checking out reads); 404 when the activity
    is not visible."""
    activity, signup = selectors.checkin_target(
        activity_id=activity_id, volunteer=request.user, day=day
    )
    if activity is None:
        raise ActivityNotFound()
    return {"activity": activity, "signup": signup}


@router.post(
    "/activities/{activity_id}/checkin",
    response={200: CheckInOut, **errors(400, 401, 404, 409, 429)},
    auth=token_auth,
)
def checkin(request: HttpRequest, activity_id: int, payload: CheckIn):
    attendance = services.attendance_check_in(
        **_target(request, activity_id), volunteer=request.user, proof=_proof(request, payload)
    )
    return {"day": attendance.day, "checked_in_at": attendance.checked_in_at}


@router.post(
    "/activities/{activity_id}/checkout",
    response={200: CheckOutOut, **errors(400, 401, 404, 409, 429)},
    auth=token_auth,
)
def checkout(request: HttpRequest, activity_id: int, payload: CheckIn):
    attendance = services.attendance_check_out(
        **_target(request, activity_id, day=local_today()),
        volunteer=request.user,
        proof=_proof(request, payload),
    )
    return {
        "day": attendance.day,
        "checked_out_at": attendance.checked_out_at,
        "hours": attendance.hours,
    }


@router.get("/me/hours", response={200: HoursOut, **errors(401)}, auth=token_auth)
def my_hours(request: HttpRequest):
    totals = hours_totals(volunteer=request.user)
    return {
        "total_hours": totals.total,
        "service_hours": totals.service_hours,
        "online_hours": totals.online_hours,
        "entries": [
            {
                "activity_id": e.activity_id,
                "activity_title": e.activity.title,
                "day": e.day,
                "hours": e.hours,
                "kind": e.kind,
                "entry_type": e.entry_type,
                "reason": e.reason,
                "created_at": e.created_at,
            }
            for e in ledger_of(volunteer=request.user)
        ],
    }


@router.get(
    "/orgs/{org_id}/activities/{activity_id}/checkin-code",
    response={200: CodeOut, **errors(401, 403, 404)},
    auth=token_auth,
)
def checkin_code(request: HttpRequest, org_id: int, activity_id: int):
    org = org_for_staff(user=request.user, org_id=org_id)
    activity = activity_selectors.activity_get_for_org(org=org, activity_id=activity_id)
    if activity is None:
        raise ActivityNotFound()
    day = local_today()
    token, expires = codes.qr_token_make(activity.pk, day)
    url = request.build_absolute_uri(reverse("attendance:checkin", args=[activity.pk]))
    return {
        "code": codes.day_code(activity.pk, day),
        "qr_url": f"{url}?t={token}",
        "qr_expires_at": dt.datetime.fromtimestamp(expires, tz=local_tz()),
    }


@router.post(
    "/orgs/{org_id}/registrations/{reg_id}/attendance",
    response={200: AttendanceOut, **errors(400, 401, 403, 404)},
    auth=token_auth,
)
def attendance_correct(request: HttpRequest, org_id: int, reg_id: int, payload: CorrectionIn):
    org = org_for_staff(user=request.user, org_id=org_id)
    signup = signup_get_for_org(org=org, signup_id=reg_id)
    if signup is None:
        raise SignupNotFound()
    attendance = services.attendance_correct(
        signup=signup,
        day=payload.day,
        checkin_at=services.moment_parse(payload.checkin_at, field="checkin_at"),
        checkout_at=services.moment_parse(payload.checkout_at, field="checkout_at"),
        staff=request.user,
        reason=payload.reason,
    )
    return {
        "day": attendance.day,
        "checked_in_at": attendance.checked_in_at,
        "checked_out_at": attendance.checked_out_at,
        "hours": attendance.hours,
    }
