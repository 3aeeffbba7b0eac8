"""The family's hours pages (issue #14 §4): a child's own record, as 我的公益时 shows the
guardian's (reporting:child-hours), and 家庭公益时 (reporting:family-hours). Only the child's
guardians read a child's record; after the hand-over at 18 a former guardian reads what
happened before it, nothing after."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from threehours.attendance import selectors as attendance_selectors
from threehours.core.errors import NotFound
from threehours.family import selectors as family_selectors

from . import family_selectors as selectors
from .views import _by_activity


@login_required
@require_GET
def child_hours_view(request: HttpRequest, child_id: int) -> HttpResponse:
    try:
        access = family_selectors.access_child_record_for_guardian(
            guardian=request.user, child_id=child_id
        )
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "reporting/child_hours.html",
        {
            "access": access,
            "child": access.child,
            "totals": selectors.child_totals(access=access),
            "groups": _by_activity(selectors.child_ledger(access=access)),
            "corrections": (
                []
                if access.read_only
                else attendance_selectors.corrections_pending_of(volunteer=access.child)
            ),
        },
    )


@login_required
@require_GET
def family_hours_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/family_hours.html",
        {"family": selectors.family_hours(guardian=request.user)},
    )
