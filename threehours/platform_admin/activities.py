"""Operator pages of issue #16 §6: every organisation's activities, taken down and restored
with a reason. Listed by users.py's `urlpatterns`."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from threehours.activities import selectors, services
from threehours.core.errors import DomainError
from threehours.core.pagination import keyset_page

from .views import operator_required

PAGE_SIZE = 30


@require_GET
@operator_required
def activity_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    state = request.GET.get("state", "")
    if state not in selectors.OPERATOR_STATES:
        state = ""
    page = keyset_page(
        selectors.activity_search_for_operators(q=q, state=state),
        order=("-created_at", "-pk"),
        limit=PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
        parsers={"created_at": dt.datetime.fromisoformat},
    )
    return render(
        request,
        "platform_admin/activity_list.html",
        {"q": q, "state": state, "states": selectors.OPERATOR_STATES, "page": page},
    )


def _activity_action(request: HttpRequest, activity_id: int, action, done: str) -> HttpResponse:
    from .users import error_text

    activity = selectors.access_activity_for_operator(activity_id=activity_id)
    try:
        action(activity=activity, reason=request.POST.get("reason", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    back = request.POST.get("q", "")
    url = reverse("platform_admin:activity-list")
    return redirect(f"{url}?{urlencode({'q': back})}" if back else url)


@require_POST
@operator_required
def activity_take_down_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _activity_action(
        request,
        activity_id,
        services.activity_take_down,
        _("The activity is taken down; its registrants and the organisation were told why."),
    )


@require_POST
@operator_required
def activity_restore_view(request: HttpRequest, activity_id: int) -> HttpResponse:
    return _activity_action(
        request,
        activity_id,
        services.activity_restore,
        _("The activity is published again; its registrants and the organisation were told."),
    )


urlpatterns: list = [
    path("activities/", activity_list_view, name="activity-list"),
    path(
        "activities/<int:activity_id>/take-down/",
        activity_take_down_view,
        name="activity-take-down",
    ),
    path("activities/<int:activity_id>/restore/", activity_restore_view, name="activity-restore"),
]
