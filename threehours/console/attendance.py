"""The organisation console's check-in and attendance pages (docs/product.md §4, issue #6): the
door screen with the rotating QR and the day's code, the live attendance board with staff
check-in / check-out, corrections and no-shows, and the queue of pending credits. The rules
live in attendance.services; these views parse, fetch with permission and call them."""

from __future__ import annotations

import datetime as dt
import io
import time

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from threehours.activities import selectors as activity_selectors
from threehours.activities.models import Activity
from threehours.attendance import selectors, services
from threehours.attendance.models import Correction
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.forms import domain_error_text
from threehours.core.timeutil import local_today
from threehours.hours import selectors as hours_selectors
from threehours.orgs.models import Organisation
from threehours.signups import selectors as signup_selectors
from threehours.signups.models import Signup

from .base import org_context, with_org

# -- organisation console: door screen -------------------------------------------------------


@with_org()
@require_GET
def checkin_screen_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    """The tablet at the door: the rotating QR code and today's code, refreshed by htmx."""
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    today = local_today()
    door = services.door_code_build(activity=activity, day=today)
    context = org_context(
        request,
        org,
        activity=activity,
        today=today,
        open_today=door.open,
        code=door.code,
        refreshed=int(time.time() * 1000),
    )
    template = "console/attendance/checkin_screen.html"
    if request.htmx or request.GET.get("partial"):
        template += "#live"
    return render(request, template, context)


@with_org()
@require_GET
def checkin_qr_view(request: HttpRequest, org: Organisation, activity_id: int) -> HttpResponse:
    """A fresh QR token for today, as an SVG of the check-in page's absolute URL."""
    import segno

    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
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
    url = reverse("console:attendance-board", kwargs={"org_id": org.pk, "activity_id": activity_id})
    return f"{url}?day={day.isoformat()}"


@with_org()
@require_GET
def attendance_board_view(
    request: HttpRequest, org: Organisation, activity_id: int
) -> HttpResponse:
    activity = activity_selectors.access_activity_for_org(org=org, activity_id=activity_id)
    today = local_today()
    day = _board_day(activity, request.GET.get("day"), today)
    groups = selectors.attendance_board(activity=activity, day=day)
    counts = selectors.attendance_board_counts(groups)
    one_day = dt.timedelta(days=1)
    context = org_context(
        request,
        org,
        activity=activity,
        day=day,
        today=today,
        groups=groups,
        counts=counts,
        flagged=sum(
            1 for rows in groups.values() for row in rows if row.evidence and row.evidence.flags
        ),
        total=sum(counts.values()),
        previous_day=day - one_day if day > activity.start_date else None,
        next_day=day + one_day if day < activity.end_date else None,
        pending_count=hours_selectors.pending_for_org(org=org).count(),
    )
    template = "console/attendance/board.html"
    if request.htmx or request.GET.get("partial"):
        template += "#live"
    return render(request, template, context)


def _posted_day(request: HttpRequest) -> dt.date:
    try:
        return dt.date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        raise InvalidInput(fields={"day": [_("Choose a day of the activity.")]}) from None


def _posted_person(request: HttpRequest) -> int | None:
    """Whose day a correction is for: empty for the registrant, or a child's id on a family
    registration (the service checks that the child is registered with them)."""
    raw = request.POST.get("person", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(fields={"person": [_("Choose whose attendance to correct.")]}) from None


def _board_redirect(request: HttpRequest, org: Organisation, signup: Signup) -> HttpResponse:
    raw = request.POST.get("day", "")
    today = local_today()
    return redirect(_board_url(org, signup.activity_id, _board_day(signup.activity, raw, today)))


@with_org()
@require_POST
def attendance_staff_view(request: HttpRequest, org: Organisation, signup_id: int) -> HttpResponse:
    """Staff check a volunteer without a phone in or out now (代签到 / 代签退)."""
    signup = signup_selectors.access_signup_for_org(org=org, signup_id=signup_id)
    action = request.POST.get("action")
    if action not in ("checkin", "checkout"):
        return HttpResponse(status=400)
    try:
        services.attendance_staff_check(signup=signup, staff=request.user, action=action)
    except DomainError as exc:
        messages.error(request, domain_error_text(exc))
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
    signup = signup_selectors.access_signup_for_org(org=org, signup_id=signup_id)
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
            person_id=_posted_person(request),
        )
    except DomainError as exc:
        messages.error(request, domain_error_text(exc))
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
    signup = signup_selectors.access_signup_for_org(org=org, signup_id=signup_id)
    try:
        services.no_show_mark(signup=signup, day=_posted_day(request), staff=request.user)
    except DomainError as exc:
        messages.error(request, domain_error_text(exc))
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
        "console/attendance/pending_credits.html",
        org_context(
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
    if decision not in ("approve", "reject"):
        raise Http404
    correction = selectors.access_correction_for_org(org=org, correction_id=correction_id)
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
        messages.error(request, domain_error_text(exc))
    return redirect("console:pending-credits", org_id=org.pk)


@with_org()
@require_POST
def pending_cosign_view(request: HttpRequest, org: Organisation, pending_id: int) -> HttpResponse:
    pending = hours_selectors.access_pending_for_org(org=org, pending_id=pending_id)
    approve = request.POST.get("approve") == "1"
    try:
        pending = services.pending_credit_cosign(
            pending=pending, staff=request.user, approve=approve
        )
    except DomainError as exc:
        messages.error(request, domain_error_text(exc))
    else:
        if not approve:
            messages.success(request, _("Refused. The hours are not credited."))
        elif pending.state == pending.State.CREDITED:
            messages.success(request, _("Co-signed. The hours are credited."))
        else:
            messages.success(
                request, _("Co-signed. The hours are credited once the volunteer confirms.")
            )
    return redirect("console:pending-credits", org_id=org.pk)
