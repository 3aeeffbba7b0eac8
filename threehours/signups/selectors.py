from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from threehours.accounts.models import User
from threehours.activities.models import Activity

from .models import Signup


def signup_live_for(*, activity: Activity, volunteer: User) -> Signup | None:
    """The volunteer's current registration for the activity (confirmed, pending or waiting)."""
    if not volunteer.is_authenticated:
        return None
    return Signup.objects.filter(activity=activity, volunteer=volunteer).live().first()


def signups_of_volunteer(*, volunteer: User, today: dt.date) -> dict[str, list[Signup]]:
    """我参与的项目: the volunteer's registrations (cancelled ones left out) by phase of the
    activity — upcoming, in progress, finished — soonest first (finished: latest first)."""
    rows = (
        Signup.objects.filter(volunteer=volunteer)
        .exclude(status=Signup.Status.CANCELLED)
        .select_related("activity__organisation", "activity__city", "activity__district")
        .order_by("activity__start_date", "pk")
    )
    tabs: dict[str, list[Signup]] = {"upcoming": [], "in_progress": [], "finished": []}
    for signup in rows:
        phase = signup.activity.phase_on(today)
        tabs["upcoming" if phase == "not_started" else phase].append(signup)
    tabs["finished"].reverse()
    return tabs


def signups_for_activity(*, activity: Activity) -> QuerySet[Signup]:
    """Registrants of one activity for its staff, with each volunteer's platform history:
    past registrations that held a place, and how often they were rejected or removed.
    Order: confirmed and pending by time, then the waiting list in line, then the rest."""
    return (
        Signup.objects.filter(activity=activity)
        .select_related("volunteer", "decided_by")
        .annotate(
            past_activities=Count(
                "volunteer__signups",
                filter=Q(volunteer__signups__status=Signup.Status.CONFIRMED)
                & Q(volunteer__signups__activity__end_date__lt=activity.start_date),
                distinct=True,
            ),
            times_removed=Count(
                "volunteer__signups",
                filter=Q(volunteer__signups__status=Signup.Status.REMOVED),
                distinct=True,
            ),
        )
        .order_by("created_at", "pk")
    )


def signup_get_for_org(*, org, signup_id: int) -> Signup | None:
    """A registration for one of `org`'s activities (None for any other: 404)."""
    return (
        Signup.objects.select_related("activity", "volunteer")
        .filter(pk=signup_id, activity__organisation=org)
        .first()
    )


STATUS_ORDER = {
    "confirmed": 0,
    "pending": 1,
    "waiting": 2,
    "rejected": 3,
    "removed": 4,
    "cancelled": 5,
}


def signups_grouped(signups) -> list[Signup]:
    return sorted(signups, key=lambda s: (STATUS_ORDER[s.status], s.created_at, s.pk))


def activity_for_registration(*, activity_id: int) -> Activity | None:
    """A published activity (one query; its questions are read only when the registration
    gets that far)."""
    return Activity.objects.published().only(*REGISTRATION_FIELDS).filter(pk=activity_id).first()


# What registering and its notice read; the other ~25 columns only cost CPU in a rush.
REGISTRATION_FIELDS = (
    "id",
    "organisation_id",
    "state",
    "registration_deadline",
    "places",
    "places_taken",
    "screening",
    "waitlist_enabled",
    "online",
    "title",
    "start_date",
    "end_date",
    "checkin_time",
    "checkout_time",
    "address",
    "contact_name",
    "contact_phone",
)
