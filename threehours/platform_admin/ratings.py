"""Operator pages of issue #15 (ratings): recent ratings (all, hidden or visible), hide with a
reason (audited, the author told), show again. `urlpatterns` is added by platform_admin/urls.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from threehours.core.errors import DomainError, InvalidInput
from threehours.core.pagination import keyset_page
from threehours.ratings import selectors, services
from threehours.ratings.forms import HideForm

from .views import operator_required

PAGE_SIZE = 30
FILTERS = ("", "visible", "hidden")


@require_GET
@operator_required
def rating_list_view(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in FILTERS:
        state = ""
    page = keyset_page(
        selectors.ratings_for_operators(hidden=state),
        order=("-created_at", "-pk"),
        limit=PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
    )
    return render(
        request,
        "platform_admin/ratings.html",
        {"page": page, "state": state, "hide_form": HideForm()},
    )


def _back(request: HttpRequest) -> HttpResponse:
    state = request.POST.get("state", "")
    url = reverse("platform_admin:ratings")
    return redirect(f"{url}?state={state}" if state in FILTERS[1:] else url)


@require_POST
@operator_required
def rating_hide_view(request: HttpRequest, rating_id: int) -> HttpResponse:
    rating = selectors.access_rating_for_operator(rating_id=rating_id)
    try:
        services.rating_hide(
            rating=rating, operator=request.user, reason=request.POST.get("reason", "")
        )
    except InvalidInput as exc:
        messages.error(request, " ".join(m for ms in (exc.fields or {}).values() for m in ms))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The rating is hidden and its author was told why."))
    return _back(request)


@require_POST
@operator_required
def rating_unhide_view(request: HttpRequest, rating_id: int) -> HttpResponse:
    rating = selectors.access_rating_for_operator(rating_id=rating_id)
    try:
        services.rating_unhide(rating=rating, operator=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The rating is shown again."))
    return _back(request)


urlpatterns: list = [
    path("ratings/", rating_list_view, name="ratings"),
    path("ratings/<int:rating_id>/hide/", rating_hide_view, name="rating-hide"),
    path("ratings/<int:rating_id>/unhide/", rating_unhide_view, name="rating-unhide"),
]
