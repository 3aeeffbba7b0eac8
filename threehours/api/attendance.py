"""Attendance and hours operations of docs/api.md: check-in / check-out with a QR token or the code
and the position, my hours, the staff's check-in code and corrections."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from threehours.activities import selectors as activity_selectors
from threehours.activities.errors import ActivityNotFound
from threehours.attendance import selectors, services
from threehours.attendance.services import Proof
from threehours.core.pagination import keyset_page
from threehours.core.timeutil import local_today
from threehours.hours.selectors import ledger_of
from threehours.hours.services import hours_totals
from threehours.orgs.models import Organisation
from threehours.orgs.selectors import access_org_for_operator, access_org_for_staff
from threehours.signups.selectors import access_signup_for_org

from .auth import token_auth
from .schemas import Hours, Id, Latitude, LaxDate, Limit, Longitude, Out, StrictIn, errors

router = Router(tags=["attendance"])


class CheckIn(StrictIn):
    """`lat`/`lng`/`accuracy` are checked by the service, not here, so that a refused attempt
    with a number that cannot be used (NaN, 1e308) is still on record (issue #12 §6)."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=True)

    qr_token: str | None = None
    code: str | None = None
    lat: float | None = None
    lng: float | None = None
    coord: Literal["wgs84", "gcj02"] = "wgs84"
    accuracy: float | None = None
    identity: str | None = None
    location_consent: bool = Field(
        default=False,
        description="The separate consent to use the position sent (kind `location`; only the "
        "snapshot at check-in/out is kept). Needed when `lat`/`lng` are sent, unless given "
        "before; without it: 400 `consent_required` and the position is not kept. Without a "
        "position, staff can check the volunteer in.",
    )
    face_consent: bool = Field(
        default=False,
        description="The separate consent to the identity check (kind `face`), needed only "
        "when an identity provider is on, unless given before.",
    )


class CheckInOut(Out):
    day: dt.date
    checked_in_at: dt.datetime


class CheckOutOut(Out):
    day: dt.date
    checked_out_at: dt.datetime
    hours: Hours


class EntryOut(Out):
    activity_id: Id
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
    # On a family registration, a child's day instead of the registrant's.
    person_id: Id | None = None


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
        accuracy=dec(payload.accuracy),
        identity=payload.identity or "",
        user_agent=request.headers.get("User-Agent", ""),
        location_consent=payload.location_consent,
        face_consent=payload.face_consent,
        ip=request.META.get("REMOTE_ADDR"),
    )


def _target(request: HttpRequest, activity_id: int, payload: CheckIn, *, attendance: bool) -> dict:
    """The activity and, on the usual path, the caller's confirmed registration in one query:
    with today's attendance when checking out (`attendance`), and with the day's code state
    when a code was sent; 404 when the activity is not visible."""
    activity, signup = selectors.checkin_target(
        activity_id=activity_id,
        volunteer=request.user,
        day=local_today(),
        with_attendance=attendance,
        with_code=bool(payload.code),
    )
    if activity is None:
        raise ActivityNotFound()
    return {"activity": activity, "signup": signup}


@router.post(
    "/activities/{activity_id}/checkin",
    response={200: CheckInOut, **errors(400, 401, 404, 409, 429)},
    auth=token_auth,
)
def checkin(request: HttpRequest, activity_id: Id, payload: CheckIn):
    attendance = services.attendance_check_in(
        **_target(request, activity_id, payload, attendance=False),
        volunteer=request.user,
        proof=_proof(request, payload),
    )
    return {"day": attendance.day, "checked_in_at": attendance.checked_in_at}


@router.post(
    "/activities/{activity_id}/checkout",
    response={200: CheckOutOut, **errors(400, 401, 404, 409, 429)},
    auth=token_auth,
)
def checkout(request: HttpRequest, activity_id: Id, payload: CheckIn):
    attendance = services.attendance_check_out(
        **_target(request, activity_id, payload, attendance=True),
        volunteer=request.user,
        proof=_proof(request, payload),
    )
    return {
        "day": attendance.day,
        "checked_out_at": attendance.checked_out_at,
        "hours": attendance.hours,
    }


def hours_out(totals, entries) -> dict:
    """A volunteer's (or a child's) totals and ledger entries in the shape of /me/hours."""
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
            for e in entries
        ],
    }


@router.get("/me/hours", response={200: HoursOut, **errors(401)}, auth=token_auth)
def my_hours(request: HttpRequest):
    return hours_out(hours_totals(volunteer=request.user), ledger_of(volunteer=request.user))


@router.get(
    "/orgs/{org_id}/activities/{activity_id}/checkin-code",
    response={200: CodeOut, **errors(401, 403, 404)},
    auth=token_auth,
)
def checkin_code(request: HttpRequest, org_id: Id, activity_id: Id):
    org = access_org_for_staff(user=request.user, org_id=org_id)
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    door = services.door_code_build(activity=activity, day=local_today())
    return {"code": door.code, "qr_url": door.qr_url, "qr_expires_at": door.qr_expires_at}


class CorrectionOut(Out):
    id: int
    status: str
    registration_id: int
    volunteer_id: int
    activity_id: Id
    day: dt.date
    checkin_at: dt.datetime
    checkout_at: dt.datetime
    hours: Hours
    measured_hours: Hours
    reason: str
    why_pending: str
    requested_by: str
    decided_by: str | None
    decision_reason: str


class CorrectionListOut(Out):
    items: list[CorrectionOut]
    next_cursor: str | None


class RejectIn(StrictIn):
    reason: str = ""


def _correction_out(c) -> dict:
    return {
        "id": c.pk,
        "status": c.status,
        "registration_id": c.signup_id,
        "volunteer_id": c.volunteer_id,
        "activity_id": c.activity_id,
        "day": c.day,
        "checkin_at": c.checkin_at,
        "checkout_at": c.checkout_at,
        "hours": c.hours,
        "measured_hours": c.measured_hours,
        "reason": c.reason,
        "why_pending": c.why_pending,
        "requested_by": c.requested_by.display_name,
        "decided_by": c.decided_by.display_name if c.decided_by else None,
        "decision_reason": c.decision_reason,
    }


@router.post(
    "/orgs/{org_id}/registrations/{reg_id}/attendance",
    response={200: AttendanceOut, 202: CorrectionOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def attendance_correct(request: HttpRequest, org_id: Id, reg_id: Id, payload: CorrectionIn):
    """Applied at once (200, the day's attendance), or 202 `pending_approval` when a second
    staff member must approve it (docs/api.md, "Integrity")."""
    org = access_org_for_staff(user=request.user, org_id=org_id)
    signup = access_signup_for_org(org=org, signup_id=reg_id)
    correction = services.attendance_correct(
        signup=signup,
        day=payload.day,
        checkin_at=services.moment_parse(payload.checkin_at, field="checkin_at"),
        checkout_at=services.moment_parse(payload.checkout_at, field="checkout_at"),
        staff=request.user,
        reason=payload.reason,
        person_id=payload.person_id,
    )
    if correction.status == correction.Status.PENDING:
        return Status(202, _correction_out(correction))
    attendance = correction.attendance
    return {
        "day": attendance.day,
        "checked_in_at": attendance.checked_in_at,
        "checked_out_at": attendance.checked_out_at,
        "hours": attendance.hours,
    }


def _org_for_approval(request: HttpRequest, org_id: Id) -> Organisation:
    """Staff of the organisation, or an operator (who oversees every organisation)."""
    if request.user.is_staff:
        return access_org_for_operator(user=request.user, org_id=org_id)
    return access_org_for_staff(user=request.user, org_id=org_id)


@router.get(
    "/orgs/{org_id}/corrections",
    response={200: CorrectionListOut, **errors(400, 401, 403, 404)},
    auth=token_auth,
)
def corrections_list(
    request: HttpRequest,
    org_id: Id,
    status: Literal["", "pending", "applied", "approved", "rejected"] = "",
    limit: Limit = 20,
    cursor: str | None = None,
):
    """The organisation's corrections, newest first; `status=pending` lists those waiting for
    a second staff member."""
    org = _org_for_approval(request, org_id)
    wanted = "pending_approval" if status == "pending" else status
    page = keyset_page(
        selectors.corrections_for_org(org=org, status=wanted),
        order=("-pk",),
        limit=limit,
        cursor=cursor,
    )
    return {"items": [_correction_out(c) for c in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/orgs/{org_id}/corrections/{correction_id}/approve",
    response={200: CorrectionOut, **errors(401, 403, 404, 409)},
    auth=token_auth,
)
def correction_approve(request: HttpRequest, org_id: Id, correction_id: Id):
    org = _org_for_approval(request, org_id)
    correction = services.correction_approve(
        correction=selectors.access_correction_for_org(org=org, correction_id=correction_id),
        staff=request.user,
    )
    return _correction_out(correction)


@router.post(
    "/orgs/{org_id}/corrections/{correction_id}/reject",
    response={200: CorrectionOut, **errors(400, 401, 403, 404, 409)},
    auth=token_auth,
)
def correction_reject(request: HttpRequest, org_id: Id, correction_id: Id, payload: RejectIn):
    org = _org_for_approval(request, org_id)
    correction = services.correction_reject(
        correction=selectors.access_correction_for_org(org=org, correction_id=correction_id),
        staff=request.user,
        reason=payload.reason,
    )
    return _correction_out(correction)


# -- children (issue #14 §3, docs/api.md "Family") ------------------------------------------------

Accuracy = Annotated[float, Field(ge=0, le=services.ACCURACY_MAX_M, allow_inf_nan=False)]


class ChildCheckIn(Schema):
    """The form fields of a child's check-in (multipart, with the `photo` file): a QR token or
    the day's code, and the position as for adults. Form values arrive as text, so the numbers
    are read laxly but bounded, and NaN / ±Infinity are refused here."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    qr_token: str | None = None
    code: str | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    coord: Literal["wgs84", "gcj02"] = "wgs84"
    accuracy: Accuracy | None = None


class ChildAttendanceOut(Out):
    child_id: int
    day: dt.date
    checked_in_at: dt.datetime
    checked_out_at: dt.datetime | None
    hours: Hours | None
    photo_id: int | None


def _child_out(attendance) -> dict:
    return {
        "child_id": attendance.volunteer_id,
        "day": attendance.day,
        "checked_in_at": attendance.checked_in_at,
        "checked_out_at": attendance.checked_out_at,
        "hours": attendance.hours,
        "photo_id": attendance.photo_id,
    }


def _visible_activity(activity_id: int):
    activity = selectors.activity_for_attendance(activity_id=activity_id)
    if activity is None:
        raise ActivityNotFound()
    return activity


@router.post(
    "/activities/{activity_id}/children/{child_id}/checkin",
    response={200: ChildAttendanceOut, **errors(400, 401, 404, 409, 429)},
    auth=token_auth,
)
def child_checkin(
    request: HttpRequest,
    activity_id: Id,
    child_id: Id,
    payload: Form[ChildCheckIn],
    photo: File[UploadedFile] = None,  # type: ignore[assignment]
):
    """The guardian checks a child in after checking in themselves (multipart: `photo`, the
    on-site photo of guardian, child and banner, required). 409 `guardian_not_checked_in`,
    `guardian_checked_out`, `child_not_registered`, `already_checked_in`; 400 `photo_required`,
    `invalid_image`, `image_too_large`; 404 for a child not the caller's."""
    proof = Proof(
        qr_token=payload.qr_token or "",
        code=payload.code or "",
        lat=None if payload.lat is None else Decimal(str(payload.lat)),
        lng=None if payload.lng is None else Decimal(str(payload.lng)),
        coord=payload.coord,
        accuracy=None if payload.accuracy is None else Decimal(str(payload.accuracy)),
        user_agent=request.headers.get("User-Agent", ""),
    )
    [attendance] = services.children_checkin(
        activity=_visible_activity(activity_id),
        guardian=request.user,
        child_ids=[child_id],
        photo=photo,
        proof=proof,
    )
    return _child_out(attendance)


@router.post(
    "/activities/{activity_id}/children/{child_id}/checkout",
    response={200: ChildAttendanceOut, **errors(400, 401, 404, 409, 429)},
    auth=token_auth,
)
def child_checkout(request: HttpRequest, activity_id: Id, child_id: Id, payload: CheckIn):
    """The guardian checks a child out with the code or QR token and the position; the child's
    hours are credited to the child's own record. 409 `guardian_not_checked_in`,
    `not_checked_in`, `already_checked_out`; 404 for a child not the caller's."""
    [attendance] = services.children_checkout(
        activity=_visible_activity(activity_id),
        guardian=request.user,
        child_ids=[child_id],
        proof=_proof(request, payload),
    )
    return _child_out(attendance)
