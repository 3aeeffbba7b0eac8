"""Operator pages of issue #16 §6: find a user, see their record, disable and re-enable them;
the activity list with take-down and restore (views in activities.py, listed here).
`urlpatterns` is added by platform_admin/urls.py."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from threehours.accounts import selectors, services
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.models import AuditEntry
from threehours.core.pagination import keyset_page
from threehours.reporting import ops_selectors

from . import activities
from .views import operator_required

PAGE_SIZE = 30


def error_text(exc: DomainError) -> str:
    """A refusal as one line for a flash message (field errors included)."""
    if isinstance(exc, InvalidInput) and exc.fields:
        return " ".join(m for ms in exc.fields.values() for m in ms)
    return exc.message


@require_GET
@operator_required
def user_list_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:60]
    page = keyset_page(
        selectors.user_search_for_operators(q=q),
        order=("-date_joined", "-pk"),
        limit=PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
        parsers={"date_joined": dt.datetime.fromisoformat},
    )
    return render(request, "platform_admin/user_list.html", {"q": q, "page": page})


@require_GET
@operator_required
def user_detail_view(request: HttpRequest, user_id: int) -> HttpResponse:
    person = selectors.access_user_for_operator(user_id=user_id)
    registrations = keyset_page(
        ops_selectors.registrations_for_operator(user=person),
        order=("-created_at", "-pk"),
        limit=PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
        parsers={"created_at": dt.datetime.fromisoformat},
    )
    return render(
        request,
        "platform_admin/user_detail.html",
        {
            "person": person,
            "record": ops_selectors.user_record_for_operator(user=person),
            "registrations": registrations,
            "history": AuditEntry.objects.filter(
                target_type="accounts.user",
                target_id=str(person.pk),
                verb__in=["account.disabled", "account.enabled"],
            )
            .select_related("actor")
            .order_by("-created_at")[:20],
        },
    )


def _user_action(request: HttpRequest, user_id: int, action, done: str) -> HttpResponse:
    person = selectors.access_user_for_operator(user_id=user_id)
    try:
        action(user=person, reason=request.POST.get("reason", ""), actor=request.user)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect("platform_admin:user-detail", user_id=person.pk)


@require_POST
@operator_required
def user_disable_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_action(
        request,
        user_id,
        services.account_disable,
        _("The account is disabled; its sessions ended and the person was told why."),
    )


@require_POST
@operator_required
def user_enable_view(request: HttpRequest, user_id: int) -> HttpResponse:
    return _user_action(
        request,
        user_id,
        services.account_enable,
        _("The account is enabled again; the person was told."),
    )


urlpatterns: list = [
    path("users/", user_list_view, name="user-list"),
    path("users/<int:user_id>/", user_detail_view, name="user-detail"),
    path("users/<int:user_id>/disable/", user_disable_view, name="user-disable"),
    path("users/<int:user_id>/enable/", user_enable_view, name="user-enable"),
    *activities.urlpatterns,
]
