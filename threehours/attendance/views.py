"""Check-in pages (PRODUCT.md §4, issue #6): the volunteer's phone page opened by the on-site
QR code, the staff's door screen with the rotating QR and the day's code, the live attendance
board with staff check-in / check-out, corrections and no-shows, and the queue of pending
credits. The rules live in attendance.services; these views parse, fetch with permission and
call them."""

from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from threehours.activities import selectors as activity_selectors
from threehours.activities.models import Activity
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.timeutil import local_now, local_today, local_tz
from threehours.hours import selectors as hours_selectors
from threehours.orgs.models import Organisation
from threehours.orgs.views import _context, with_org
from threehours.signups import selectors as signup_selectors
from threehours.signups.models import Signup

from . import rules, selectors, services
from .models import Correction
from .services import Proof

COORDS = ("wgs84", "gcj02")


def _error_text(exc: DomainError) -> str:
    """A refusal as one line: field messages of InvalidInput, else the error's message."""
    if isinstance(exc, InvalidInput) and exc.fields:
        return " ".join(str(m) for ms in exc.fields.values() for m in ms)
    return exc.message


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
        if service is None:
            return HttpResponse(status=400)
        try:
            service(activity=activity, volunteer=request.user, proof=_proof(request), signup=signup)
        except DomainError as exc:
            error, status = _error_text(exc), exc.status
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
    context = {
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
    return render(request, "attendance/checkin.html", context, status=status)


# -- organisation console: door screen -------------------------------------------------------


def _activity_or_404(org: Organisation, activity_id: int) -> Activity:
    activity = activity_selectors.activity_get_for_org(org=org, activity_id=activity_id)
    if activity is None:
        raise Http404
    return activity


@with_org()
@require_GET
def checkin_screen_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    """The tablet at the door: the rotating QR code and today's code, refreshed by htmx."""
    activity = _activity_or_404(org, activity_id)
    today = local_today()
    door = services.door_code_build(activity=activity, day=today)
    context = _context(
        request,
        org,
        activity=activity,
        today=today,
        open_today=door.open,
        code=door.code,
        refreshed=int(time.time() * 1000),
    )
    template = "attendance/checkin_screen.html"
    if request.htmx or request.GET.get("partial"):
        template += "#live"
    return render(request, template, context)


@with_org()
@require_GET
def checkin_qr_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    """A fresh QR token for today, as an SVG of the check-in page's absolute URL."""
    import segno

    activity = _activity_or_404(org, activity_id)
    door = services.door_code_build(activity=activity, day=local_today())
    if not door.open:
        raise Http404
    buffer = io.BytesIO()
    segno.make(door.qr_url, error="m").save(buffer, kind="svg", scale=8, border=2)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


# -- organisation console: attendance board --------------------------------------------------


def _board_day(activity: Activity, raw: str | None, today: dt.date) -> dt.date:
    """?day= when it is one of the activity's days, else today clamped into them."""
    try:
        day = dt.date.fromisoformat(raw or "")
    except ValueError:
        day = today
    return min(max(day, activity.start_date), activity.end_date)


def _board_url(org: Organisation, activity_id: int, day: dt.date) -> str:
    url = reverse("orgs:attendance-board", kwargs={"org_id": org.pk, "activity_id": activity_id})
    return f"{url}?day={day.isoformat()}"


@with_org()
@require_GET
def attendance_board_view(
    request: HttpRequest, org: Organisation, activity_id: int
) -> HttpResponse:
    activity = _activity_or_404(org, activity_id)
    today = local_today()
    day = _board_day(activity, request.GET.get("day"), today)
    groups = selectors.attendance_board(activity=activity, day=day)
    one_day = dt.timedelta(days=1)
    context = _context(
        request,
        org,
        activity=activity,
        day=day,
        today=today,
        groups=groups,
        counts={name: len(rows) for name, rows in groups.items()},
        flagged=sum(
            1 for rows in groups.values() for row in rows if row.evidence and row.evidence.flags
        ),
        total=sum(len(rows) for rows in groups.values()),
        previous_day=day - one_day if day > activity.start_date else None,
        next_day=day + one_day if day < activity.end_date else None,
        pending_count=hours_selectors.pending_for_org(org=org).count(),
    )
    template = "attendance/board.html"
    if request.htmx or request.GET.get("partial"):
        template += "#live"
    return render(request, template, context)


def _signup_or_404(org: Organisation, signup_id: int) -> Signup:
    signup = signup_selectors.signup_get_for_org(org=org, signup_id=signup_id)
    if signup is None:
        raise Http404
    return signup


def _posted_day(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        raise InvalidInput(fields={"day": [_("Choose a day of the activity.")]}) from None


def _board_redirect(request: HttpRequest, org: Organisation, signup: Signup) -> HttpResponse:
    raw = request.POST.get("day", "")
    today = local_today()
    return redirect(_board_url(org, signup.activity_id, _board_day(signup.activity, raw, today)))


@with_org()
@require_POST
def attendance_staff_view(request: HttpRequest, org: Organisation, signup_id: int) -> HttpResponse:
    """Staff check a volunteer without a phone in or out now (代签到 / 代签退)."""
    signup = _signup_or_404(org, signup_id)
    action = request.POST.get("action")
    if action not in ("checkin", "checkout"):
        return HttpResponse(status=400)
    try:
        services.attendance_staff_check(signup=signup, staff=request.user, action=action)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        name = signup.volunteer.real_name or signup.volunteer.display_name
        text = _("%(name)s checked in.") if action == "checkin" else _("%(name)s checked out.")
        messages.success(request, text % {"name": name})
    return _board_redirect(request, org, signup)


@with_org()
@require_POST
def attendance_correct_view(
    request: HttpRequest, org: Organisation, signup_id: int
) -> HttpResponse:
    """A coordinator sets a day's check-in and check-out times, with a reason."""
    signup = _signup_or_404(org, signup_id)
    try:
        correction = services.attendance_correct(
            signup=signup,
            day=_posted_day(request),
            checkin_at=services.time_parse(request.POST.get("checkin_at", ""), field="checkin_at"),
            checkout_at=services.time_parse(
                request.POST.get("checkout_at", ""), field="checkout_at"
            ),
            staff=request.user,
            reason=request.POST.get("reason", "")[:500],
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        if correction.status == correction.Status.PENDING:
            messages.warning(
                request,
                _(
                    "Saved as a correction waiting for approval: a second staff member must "
                    "approve it under Approvals. The volunteer sees it as pending."
                ),
            )
        else:
            messages.success(request, _("Corrected. The volunteer has been told."))
    return _board_redirect(request, org, signup)


@with_org()
@require_POST
def attendance_no_show_view(
    request: HttpRequest, org: Organisation, signup_id: int
) -> HttpResponse:
    """Mark a registrant absent on a past activity day."""
    signup = _signup_or_404(org, signup_id)
    try:
        services.no_show_mark(signup=signup, day=_posted_day(request), staff=request.user)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Marked absent."))
    return _board_redirect(request, org, signup)


# -- organisation console: pending credits --------------------------------------------------


@with_org()
@require_GET
def pending_credits_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    """Forgotten check-outs: proposed hours waiting for the volunteer and a coordinator."""
    rows = list(hours_selectors.pending_for_org(org=org))
    corrections = list(
        selectors.corrections_for_org(org=org, status=Correction.Status.PENDING).order_by("pk")
    )
    return render(
        request,
        "attendance/pending_credits.html",
        _context(
            request,
            org,
            rows=rows,
            corrections=corrections,
            approval_hours=settings.CORRECTION_APPROVAL_HOURS,
            approval_days=settings.CORRECTION_APPROVAL_DAYS,
        ),
    )


@with_org()
@require_POST
def correction_decide_view(
    request: HttpRequest, org: Organisation, correction_id: int, decision: str
) -> HttpResponse:
    """A second staff member approves or rejects (with a reason) a pending correction."""
    correction = selectors.correction_get_for_org(org=org, correction_id=correction_id)
    if correction is None or decision not in ("approve", "reject"):
        raise Http404
    try:
        if decision == "approve":
            services.correction_approve(correction=correction, staff=request.user)
            messages.success(request, _("Approved. The hours are credited and the volunteer told."))
        else:
            services.correction_reject(
                correction=correction,
                staff=request.user,
                reason=request.POST.get("reason", "")[:500],
            )
            messages.success(request, _("Rejected. The volunteer has been told why."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("orgs:pending-credits", org_id=org.pk)


@with_org()
@require_POST
def pending_cosign_view(request: HttpRequest, org: Organisation, pending_id: int) -> HttpResponse:
    pending = hours_selectors.pending_get_for_org(org=org, pending_id=pending_id)
    if pending is None:
        raise Http404
    approve = request.POST.get("approve") == "1"
    try:
        pending = services.pending_credit_cosign(
            pending=pending, staff=request.user, approve=approve
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    else:
        if not approve:
            messages.success(request, _("Refused. The hours are not credited."))
        elif pending.state == pending.State.CREDITED:
            messages.success(request, _("Co-signed. The hours are credited."))
        else:
            messages.success(
                request, _("Co-signed. The hours are credited once the volunteer confirms.")
            )
    return redirect("orgs:pending-credits", org_id=org.pk)
