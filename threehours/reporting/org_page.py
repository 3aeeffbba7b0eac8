"""An organisation's public page (/orgs/<org_id>/): who it is, its upcoming published
activities, and its volunteers' ratings (average and count from the Organisation's counters,
the latest visible ratings). Approved, not suspended organisations only; others are 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from threehours.activities.models import Activity
from threehours.core.routers import replica_reads
from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation
from threehours.ratings.selectors import ratings_visible_of_org

UPCOMING = 10
LATEST_RATINGS = 5


@require_GET
@replica_reads
def org_public_view(request: HttpRequest, org_id: int) -> HttpResponse:
    org = (
        Organisation.objects.select_related("province", "city", "district")
        .filter(pk=org_id, state=Organisation.State.APPROVED, suspended_at__isnull=True)
        .first()
    )
    if org is None:
        raise Http404
    upcoming = list(
        Activity.objects.published()
        .filter(organisation=org, end_date__gte=local_today())
        .order_by("start_date", "pk")[:UPCOMING]
    )
    ratings = (
        list(ratings_visible_of_org(org_id=org.pk)[:LATEST_RATINGS]) if org.rating_count else []
    )
    average = org.rating_average
    return render(
        request,
        "reporting/org_public.html",
        {
            "org": org,
            "upcoming": upcoming,
            "ratings": ratings,
            "average": average,
            "rounded": round(average) if average else 0,
        },
    )
