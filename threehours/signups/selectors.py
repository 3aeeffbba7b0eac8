from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from threehours.accounts.models import User
from threehours.activities.models import Activity, Question
from threehours.core.db import Columns, hot_cursor
from threehours.orgs.models import Organisation

from .errors import SignupNotFound
from .models import LIVE, Signup


def signup_live_for(*, activity: Activity, volunteer: User) -> Signup | None:
    """The volunteer's current registration for the activity (confirmed, pending or waiting)."""
    if not volunteer.is_authenticated:
        return None
    return Signup.objects.filter(activity=activity, volunteer=volunteer).live().first()


def signups_of_volunteer(*, volunteer: User, today: dt.date) -> dict[str, list[Signup]]:
    """我参与的项目: the volunteer's registrations (cancelled ones left out) by phase of the
    activity — upcoming, in progress, finished — soonest first (finished: latest first)."""
    from threehours.attendance.models import Attendance

    rows = (
        Signup.objects.filter(volunteer=volunteer)
        .exclude(status=Signup.Status.CANCELLED)
        # An attended registration cannot be cancelled (issue #12 §2): the page hides the button.
        .annotate(attended=Exists(Attendance.objects.filter(signup=OuterRef("pk"))))
        .select_related("activity__organisation", "activity__city", "activity__district")
        .order_by("activity__start_date", "pk")
    )
    tabs: dict[str, list[Signup]] = {"upcoming": [], "in_progress": [], "finished": []}
    for signup in rows:
        phase = signup.activity.phase_on(today)
        tabs["upcoming" if phase == "not_started" else phase].append(signup)
    tabs["finished"].reverse()
    return tabs


@dataclass(frozen=True)
class History:
    """A registrant's platform history, as staff screening them see it (issue 5 §4)."""

    service_hours: Decimal = Decimal("0.0")
    online_hours: Decimal = Decimal("0.0")
    activities_attended: int = 0  # distinct activities with at least one check-in
    no_shows: int = 0  # activity days staff marked them absent
    times_removed: int = 0
    past_activities: int = 0  # confirmed registrations of activities that have ended

    @property
    def total_hours(self) -> Decimal:
        return self.service_hours + self.online_hours


def signups_for_activity(*, activity: Activity) -> QuerySet[Signup]:
    """Registrants of one activity for its staff, oldest first."""
    return (
        Signup.objects.filter(activity=activity)
        .select_related("volunteer", "decided_by")
        .order_by("created_at", "pk")
    )


def registrants_with_history(*, activity: Activity, today: dt.date) -> list[Signup]:
    """The staff's registrant list: confirmed and pending by time, then the waiting list in
    line, then the rest; each row carries `.history` (a History). Five queries for the whole
    page, however many registrants: the rows, then one grouped query per part of the history
    (hours totals, attendance, no-shows, then removals and past activities together)."""
    from threehours.attendance.models import Attendance, NoShow
    from threehours.hours.models import HoursSummary

    rows = signups_grouped(signups_for_activity(activity=activity))
    if not rows:
        return rows
    # A subquery rather than a list of ids: no parameter limit on a large activity.
    ids = Signup.objects.filter(activity=activity).values("volunteer_id")
    hours = {
        h["volunteer_id"]: h
        for h in HoursSummary.objects.filter(volunteer_id__in=ids).values(
            "volunteer_id", "service_hours", "online_hours"
        )
    }
    attended = dict(
        Attendance.objects.filter(volunteer_id__in=ids)
        .values("volunteer_id")
        .annotate(n=Count("activity_id", distinct=True))
        .values_list("volunteer_id", "n")
        .order_by()
    )
    absent = dict(
        NoShow.objects.filter(signup__volunteer_id__in=ids)
        .values("signup__volunteer_id")
        .annotate(n=Count("pk"))
        .values_list("signup__volunteer_id", "n")
        .order_by()
    )
    signups = {
        r["volunteer_id"]: r
        for r in Signup.objects.filter(volunteer_id__in=ids)
        .values("volunteer_id")
        .annotate(
            removed=Count("pk", filter=Q(status=Signup.Status.REMOVED)),
            past=Count(
                "pk",
                filter=Q(status=Signup.Status.CONFIRMED, activity__end_date__lt=today),
            ),
        )
        .order_by()
    }
    for row in rows:
        vid = row.volunteer_id
        summary = hours.get(vid, {})
        counts = signups.get(vid, {})
        row.history = History(
            service_hours=summary.get("service_hours", Decimal("0.0")),
            online_hours=summary.get("online_hours", Decimal("0.0")),
            activities_attended=attended.get(vid, 0),
            no_shows=absent.get(vid, 0),
            times_removed=counts.get("removed", 0),
            past_activities=counts.get("past", 0),
        )
    return rows


def hours_earned_by_signup(*, volunteer: User) -> dict[int, Decimal]:
    """The hours the ledger holds for each of the volunteer's registrations (credits plus
    corrections, service and online alike), in one grouped query; registrations without
    entries are left out."""
    from django.db.models import Sum

    from threehours.hours.models import LedgerEntry

    rows = (
        LedgerEntry.objects.filter(volunteer=volunteer, attendance__isnull=False)
        .values_list("attendance__signup_id")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    # SQLite's SUM of decimals loses the scale (1.0 comes back as 1).
    tenth = Decimal("0.1")
    return {signup_id: Decimal(total).quantize(tenth) for signup_id, total in rows}


def access_signup_for_org(*, org, signup_id: int) -> Signup:
    """A registration for one of `org`'s activities, with its activity and volunteer. Any
    other raises SignupNotFound like an unknown id, so ids reveal nothing."""
    signup = (
        Signup.objects.select_related("activity", "volunteer")
        .filter(pk=signup_id, activity__organisation=org)
        .first()
    )
    if signup is None:
        raise SignupNotFound()
    return signup


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


def _registration_query(connection) -> str:
    # Identifiers come from the models, values are parameters.
    organisations = Organisation._meta.db_table
    questions = Question._meta.db_table
    return (
        f"SELECT {_REGISTRATION_COLUMNS.sql(connection)}, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {questions} q WHERE q.activity_id = a.id) "
        f"FROM {_REGISTRATION_COLUMNS.table(connection)} "
        f"JOIN {organisations} o ON o.id = a.organisation_id "
        "WHERE a.id = %s AND a.state = %s AND o.suspended_at IS NULL"
    )


def signup_live_exists(*, activity_id: int, volunteer_id: int) -> bool:
    """Whether the volunteer holds a live registration (confirmed, pending or waiting) for the
    activity. Hand-written: it answers most attempts of a rush (the full activity's refusal
    tells "already registered" from "full")."""
    connection = connections[DEFAULT_DB_ALIAS]
    table = connection.ops.quote_name(Signup._meta.db_table)
    with hot_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table} WHERE activity_id = %s AND volunteer_id = %s "  # noqa: S608
            f"AND status IN ({', '.join(['%s'] * len(LIVE))}) LIMIT 1",
            [activity_id, volunteer_id, *LIVE],
        )
        return cursor.fetchone() is not None


def activity_for_registration(*, activity_id: int) -> Activity | None:
    """A published activity of an organisation that is not suspended, with the columns
    registering reads, and `question_count` (its questions are read only when there are some
    and the registration gets that far).

    One hand-written SELECT: in a rush every attempt reads it, and compiling the ORM query
    cost more CPU than the rest of a refused attempt (bench/registration_rush.py)."""
    if not 0 < activity_id < 2**63:
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    with hot_cursor(connection) as cursor:
        cursor.execute(_registration_query(connection), [activity_id, Activity.State.PUBLISHED])
        row = cursor.fetchone()
    if row is None:
        return None
    activity = _REGISTRATION_COLUMNS.load(row, 0, connection)
    # Most activities ask nothing: then registering needs no read of the questions.
    activity.question_count = row[len(_REGISTRATION_COLUMNS)]
    return activity


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
_REGISTRATION_COLUMNS = Columns(Activity, "a", REGISTRATION_FIELDS)
