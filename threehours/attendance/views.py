"""The check-in page (docs/product.md §4, issue #6): the volunteer's phone page opened by the
on-site QR code. The staff's door screen, attendance board and pending credits are in the
organisation console (console/attendance.py). The rules live in attendance.services; these
views parse, fetch with permission and call them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from threehours.accounts.consent import consent_screen, has_consent
from threehours.accounts.models import Consent
from threehours.activities.models import Activity
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.forms import domain_error_text
from threehours.core.timeutil import local_now, local_tz
from threehours.signups import selectors as signup_selectors
from threehours.signups.models import Signup

from . import rules, selectors, services
from .services import Proof

COORDS = ("wgs84", "gcj02")


# -- the volunteer's phone page --------------------------------------------------------------


def _decimal(raw: str | None) -> Decimal | None:
    try:
        value = Decimal(str(raw or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _proof(request: HttpRequest) -> Proof:
    """What the page's form carries: the QR token from the scanned URL, the code typed in, and
    the position the page's script put into hidden fields (WGS-84 from the browser)."""
    coord = request.POST.get("coord", "wgs84")
    return Proof(
        qr_token=request.POST.get("t", "")[:500],
        code=request.POST.get("code", "")[:10],
        lat=_decimal(request.POST.get("lat")),
        lng=_decimal(request.POST.get("lng")),
        coord=coord if coord in COORDS else "wgs84",
        accuracy=_decimal(request.POST.get("accuracy")),
        user_agent=request.headers.get("User-Agent", ""),
        location_consent=request.POST.get("location_consent") == "on",
        ip=request.META.get("REMOTE_ADDR"),
    )


def _shortfall(activity: Activity, attendance) -> str:
    """Why the day's check-out earned less than the daily maximum (rules.credit_shortfall);
    online activities credit a fixed amount and never fall short."""
    if activity.online or attendance.checked_out_at is None:
        return ""
    window = rules.window_bounds(
        attendance.day, activity.checkin_time, activity.checkout_time, local_tz()
    )
    return rules.credit_shortfall(
        attendance.checked_in_at, attendance.checked_out_at, window, activity.max_hours_per_day
    )


def _child_ids(request: HttpRequest) -> list[int]:
    try:
        return [int(raw) for raw in request.POST.getlist("child")[:20]]
    except ValueError:
        raise InvalidInput(fields={"child": [_("Choose your children from the list.")]}) from None


def _children_action(request: HttpRequest, activity: Activity, action: str) -> None:
    """为孩子签到 / 为孩子签退: the guardian checks the chosen children in (with the on-site
    photo) or out."""
    if action == "children_checkin":
        services.children_checkin(
            activity=activity,
            guardian=request.user,
            child_ids=_child_ids(request),
            photo=request.FILES.get("photo"),
            proof=_proof(request),
        )
    else:
        services.children_checkout(
            activity=activity,
            guardian=request.user,
            child_ids=_child_ids(request),
            proof=_proof(request),
        )


@login_required
@require_http_methods(["GET", "POST"])
def checkin_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    now = local_now()
    # The usual visitor is a confirmed registrant: the registration, its activity and today's
    # attendance in one query, as for the API's check-in; anyone else, the activity alone.
    activity, signup = selectors.checkin_target(
        activity_id=activity_id,
        volunteer=request.user,
        day=now.date(),
        with_code=request.method == "POST" and bool(request.POST.get("code", "").strip()),
    )
    if activity is None:
        raise Http404
    error, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action")
        service = {
            "checkin": services.attendance_check_in,
            "checkout": services.attendance_check_out,
        }.get(action or "")
        if service is None and action not in ("children_checkin", "children_checkout"):
            return HttpResponse(status=400)
        try:
            if service is not None:
                service(
                    activity=activity, volunteer=request.user, proof=_proof(request), signup=signup
                )
            else:
                _children_action(request, activity, action or "")
        except DomainError as exc:
            error, status = domain_error_text(exc), exc.status
        else:
            # The page's new state says what happened ("checked in at 13:02"): no flash.
            return redirect("attendance:checkin", activity_id=activity.pk)
    if signup is not None and not error:
        attendance = signup.attendance_by_day[now.date()]
    else:  # not (or no longer) confirmed, or refused: read what the page shows now
        signup = signup_selectors.signup_live_for(activity=activity, volunteer=request.user)
        attendance = selectors.attendance_today(
            activity=activity, volunteer=request.user, day=now.date()
        )
    state = (
        "not_registered"
        if signup is None or signup.status != Signup.Status.CONFIRMED
        else rules.checkin_state(
            activity=activity,
            now=now,
            checked_in=attendance is not None,
            checked_out=attendance is not None and attendance.checked_out_at is not None,
        )
    )
    children = selectors.family_today(
        signup=signup if state != "not_registered" else None, day=now.date()
    )
    guardian_in = attendance is not None
    guardian_out = guardian_in and attendance.checked_out_at is not None
    context = {
        "children": children,
        "children_to_check_in": [c for c in children if c.attendance is None],
        "children_to_check_out": [
            c for c in children if c.attendance is not None and c.attendance.checked_out_at is None
        ],
        "children_checkin_open": bool(children)
        and rules.children_checkin_open(
            activity=activity, now=now, guardian_in=guardian_in, guardian_out=guardian_out
        ),
        "children_checkout_open": bool(children)
        and rules.children_checkout_open(activity=activity, now=now, guardian_in=guardian_in),
        "posted_action": request.POST.get("action", "") if error else "",
        "activity": activity,
        "signup": signup,
        "attendance": attendance,
        "state": state,
        "shortfall": _shortfall(activity, attendance) if state == "done" else "",
        "error": error,
        "token": (request.POST if request.method == "POST" else request.GET).get("t", "")[:500],
        "code": request.POST.get("code", "")[:10] if error else "",
        "today": now.date(),
    }
    if state in ("checkin", "checkout") and not activity.online:
        # Why the position is asked and what is kept, before the browser asks (issue #16 §1).
        context["location_consent"] = consent_screen(Consent.Kind.LOCATION)
        known = getattr(signup, "location_consented", None)  # read with the registration
        context["location_consent_given"] = (
            known if known is not None else has_consent(request.user, Consent.Kind.LOCATION)
        )
    return render(request, "attendance/checkin.html", context, status=status)


@login_required
@require_GET
def child_photo_view(request: HttpRequest, photo_id: int) -> HttpResponse:
    """A child's check-in photo, for the family and the activity's staff only (404 for anyone
    else, and after the retention job deleted it)."""
    from threehours.core.storage import private_file_response

    try:
        photo = selectors.access_child_photo(user=request.user, photo_id=photo_id)
    except DomainError:
        raise Http404 from None
    return private_file_response(photo.image)
