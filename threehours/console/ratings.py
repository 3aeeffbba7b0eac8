"""Console pages of issue #15 (ratings): the organisation's ratings, newest first, filterable
by activity, hidden ones marked; staff reply once, publicly. Their paths are listed in
`urlpatterns` here and put before the activity catch-all by console/urls.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from threehours.activities.selectors import access_activity_for_org, activity_list_for_org
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.pagination import keyset_page
from threehours.orgs.models import Organisation
from threehours.ratings import selectors, services
from threehours.ratings.forms import ReplyForm

from .base import org_context, with_org

PAGE_SIZE = 20


@require_GET
@with_org()
def rating_list_view(request: HttpRequest, org: Organisation) -> HttpResponse:
    activity = None
    raw = request.GET.get("activity", "")
    if raw.isdigit():
        activity = access_activity_for_org(org=org, activity_id=int(raw))
    page = keyset_page(
        selectors.ratings_for_org(org=org, activity_id=activity.pk if activity else None),
        order=("-created_at", "-pk"),
        limit=PAGE_SIZE,
        cursor=request.GET.get("cursor") or None,
    )
    activities = (
        activity_list_for_org(org=org)
        .filter(rating_count__gt=0)
        .select_related(None)
        .prefetch_related(None)
        .only("pk", "title")
    )
    return render(
        request,
        "console/ratings/list.html",
        org_context(
            request,
            org,
            page=page,
            activity=activity,
            activities=list(activities[:200]),
            reply_form=ReplyForm(),
            rounded=round(org.rating_average or 0),
        ),
    )


@require_POST
@with_org()
def rating_reply_view(request: HttpRequest, org: Organisation, rating_id: int) -> HttpResponse:
    rating = selectors.access_rating_for_org(org=org, rating_id=rating_id)
    form = ReplyForm(data=request.POST)
    if form.is_valid():
        try:
            services.rating_reply(rating=rating, staff=request.user, text=form.cleaned_data["text"])
        except InvalidInput as exc:
            messages.error(request, " ".join(m for ms in (exc.fields or {}).values() for m in ms))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your reply is published."))
    else:
        messages.error(request, " ".join(e for es in form.errors.values() for e in es))
    url = reverse("console:ratings", args=[org.pk])
    back = request.POST.get("activity", "")
    return redirect(f"{url}?activity={back}" if back.isdigit() else url)


urlpatterns: list = [
    path("<int:org_id>/ratings/", rating_list_view, name="ratings"),
    path("<int:org_id>/ratings/<int:rating_id>/reply/", rating_reply_view, name="rating-reply"),
]
