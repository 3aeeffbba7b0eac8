"""The volunteer's own overview pages, which read registrations, attendance and the hours ledger
together: 我参与的项目 (my activities, with the hours credited on each card) and 我的公益时 (the
volunteer's totals, the ledger's entries by activity and day, and proposals after a forgotten
check-out to confirm or dispute, docs/product.md §4)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from threehours.attendance import selectors as attendance_selectors
from threehours.attendance import services as attendance_services
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.timeutil import local_today
from threehours.family.selectors import family_has_records
from threehours.hours import selectors as hours_selectors
from threehours.hours.services import hours_totals
from threehours.ratings import rules as rating_rules
from threehours.ratings import selectors as rating_selectors
from threehours.signups import rules as signup_rules
from threehours.signups import selectors as signup_selectors

from . import selectors


def _by_activity(entries) -> list[dict]:
    """Entries grouped per activity (most recent activity first), each with its sum; within
    an activity by day, credit before its corrections."""
    groups: dict[int, dict] = {}
    for entry in entries:  # newest first
        group = groups.setdefault(
            entry.activity_id, {"activity": entry.activity, "hours": Decimal("0.0"), "entries": []}
        )
        group["hours"] += entry.hours
        group["entries"].append(entry)
    for group in groups.values():
        group["entries"].sort(key=lambda e: (e.day, e.created_at, e.pk))
    return list(groups.values())


@login_required
def my_activities_view(request: HttpRequest) -> HttpResponse:
    today = local_today()
    tabs = selectors.signups_of_volunteer(volunteer=request.user, today=today)
    tab = request.GET.get("tab", "upcoming")
    if tab not in tabs:
        tab = "upcoming"
    credited = hours_selectors.hours_by_activity(volunteer=request.user)
    signup_selectors.signups_children_load(tabs[tab])
    rated = rating_selectors.rated_activity_ids(
        volunteer=request.user, activity_ids=[s.activity_id for s in tabs[tab]]
    )
    now = timezone.now()
    for signup in tabs[tab]:
        signup.credited_hours = credited.get(signup.activity_id)
        # 评价分享 (issue #15 §1): credited, then rated within the window; the share card after.
        signup.rating_id = rated.get(signup.activity_id)
        signup.can_rate = bool(
            signup.credited_hours
            and signup.credited_hours > 0
            and rating_rules.rating_window_open(activity=signup.activity, now=now)
        )
        signup.can_cancel = signup_rules.can_cancel(
            signup=signup, activity=signup.activity, today=today, attended=signup.attended
        )
    return render(
        request,
        "signups/my_activities.html",
        {"tabs": tabs, "tab": tab, "rows": tabs[tab], "today": today},
    )


@login_required
@require_GET
def my_hours_view(request: HttpRequest) -> HttpResponse:
    totals = hours_totals(volunteer=request.user)
    return render(
        request,
        "hours/my_hours.html",
        {
            "totals": totals,
            "groups": _by_activity(hours_selectors.ledger_of(volunteer=request.user)),
            "pending": list(hours_selectors.pending_of_volunteer(volunteer=request.user)),
            "corrections": attendance_selectors.corrections_pending_of(volunteer=request.user),
            "has_family": family_has_records(guardian=request.user),
        },
    )


@login_required
@require_POST
def pending_respond_view(request: HttpRequest, pending_id: int) -> HttpResponse:
    """The volunteer confirms (agree=1) or disputes the proposed hours."""
    pending = hours_selectors.pending_get_of_volunteer(
        volunteer=request.user, pending_id=pending_id
    )
    if pending is None:
        raise Http404
    agree = request.POST.get("agree") == "1"
    try:
        pending = attendance_services.pending_credit_respond(
            pending=pending,
            volunteer=request.user,
            agree=agree,
            note=request.POST.get("note", ""),
        )
    except InvalidInput as exc:
        messages.error(request, " ".join(str(m) for ms in (exc.fields or {}).values() for m in ms))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if not agree:
            messages.success(request, _("Sent. The organiser will look at your hours again."))
        elif pending.state == pending.State.CREDITED:
            messages.success(request, _("Confirmed. The hours are credited."))
        else:
            messages.success(
                request, _("Confirmed. The hours are credited once the organiser co-signs.")
            )
    return redirect("reporting:my-hours")
