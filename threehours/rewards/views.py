"""Volunteers' incentive pages: the catalogue (/benefits/) and 我的权益 (/me/benefits/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .errors import IncentiveNotFound, RewardError


@login_required
@require_GET
def catalogue_view(request: HttpRequest) -> HttpResponse:
    rows = selectors.catalogue_for(volunteer=request.user)
    return render(request, "rewards/catalogue.html", {"rows": rows})


@login_required
@require_POST
def redeem_view(request: HttpRequest, incentive_id: int) -> HttpResponse:
    try:
        incentive = selectors.incentive_get_for_volunteer(incentive_id=incentive_id)
        redemption = services.reward_redeem(incentive=incentive, volunteer=request.user)
    except IncentiveNotFound as exc:
        raise Http404 from exc
    except RewardError as exc:
        messages.error(request, exc.message)
        return redirect("rewards:catalogue")
    messages.success(
        request,
        _("Redeemed: your code for %(title)s is below.") % {"title": redemption.incentive.title},
    )
    return redirect("rewards:mine")


@login_required
@require_GET
def mine_view(request: HttpRequest) -> HttpResponse:
    rows = [
        (r, selectors.is_expired(r))
        for r in selectors.redemptions_of_volunteer(volunteer=request.user)[:200]
    ]
    return render(request, "rewards/mine.html", {"rows": rows})
