from __future__ import annotations

from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Prefetch, QuerySet, Subquery, prefetch_related_objects

from threehours.accounts.models import User
from threehours.activities.models import Activity, Question
from threehours.core.db import Columns, hot_cursor, id_in_range
from threehours.orgs.models import Organisation, Region

from .errors import SignupNotFound
from .models import LIVE, Signup


def signup_live_for(*, activity: Activity, volunteer: User) -> Signup | None:
    """The volunteer's current registration for the activity (confirmed, pending or waiting)."""
    if not volunteer.is_authenticated:
        return None
    return Signup.objects.filter(activity=activity, volunteer=volunteer).live().first()


def signups_for_activity(*, activity: Activity) -> QuerySet[Signup]:
    """Registrants of one activity for its staff, oldest first; on a parent-child activity
    with each family's children (`signup.children.all()`, oldest first) read in one more
    query."""
    rows = (
        Signup.objects.filter(activity=activity)
        .select_related("volunteer", "decided_by")
        .order_by("created_at", "pk")
    )
    if activity.family:
        rows = rows.prefetch_related(
            Prefetch("children", queryset=User.objects.order_by("birth_date", "pk"))
        )
    return rows


def signups_children_load(signups) -> None:
    """Read the children of the family registrations among `signups` (seats > 1) in one query,
    none when there is no family, so `signup.children.all()` costs nothing after it."""
    families = [signup for signup in signups if signup.seats > 1]
    if families:
        prefetch_related_objects(
            families, Prefetch("children", queryset=User.objects.order_by("birth_date", "pk"))
        )


def volunteer_city(*, volunteer) -> Region | None:
    """The city of the volunteer's latest registration for an on-site activity (their home
    page shows what is coming up there), or None."""
    latest = (
        Signup.objects.filter(volunteer=volunteer, activity__city__isnull=False)
        .order_by("-created_at", "-pk")
        .values("activity__city_id")[:1]
    )
    return Region.objects.select_related("parent").filter(pk=Subquery(latest)).first()


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
    if not id_in_range(activity_id):
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
    "family",
    "child_age_min",
    "child_age_max",
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


# -- phone reveals (issue #16 §5) -------------------------------------------------------------


@dataclass(frozen=True)
class PhoneReveal:
    at: object
    actor: User | None
    person: User | None
    organisation: Organisation | None
    as_operator: bool


def phone_reveals_recent(*, limit: int = 200, organisation_id: int | None = None) -> list:
    """The latest phone reveals (audit entries `phone.revealed`), newest first, with the staff
    member, the person and the organisation loaded in three queries, for the operators' list."""
    from threehours.core.models import AuditEntry

    from .services.phone import REVEAL_VERB

    entries = AuditEntry.objects.filter(verb=REVEAL_VERB).order_by("-created_at", "-pk")
    if organisation_id is not None:
        entries = entries.filter(data__organisation_id=organisation_id)
    entries = list(entries.select_related("actor")[:limit])
    person_ids = {int(e.target_id) for e in entries if e.target_id.isdigit()}
    org_ids = {e.data.get("organisation_id") for e in entries} - {None}
    people = User.objects.in_bulk(person_ids)
    orgs = Organisation.objects.in_bulk(org_ids)
    return [
        PhoneReveal(
            at=e.created_at,
            actor=e.actor,
            person=people.get(int(e.target_id)) if e.target_id.isdigit() else None,
            organisation=orgs.get(e.data.get("organisation_id")),
            as_operator=e.data.get("organisation_id") is None,
        )
        for e in entries
    ]
