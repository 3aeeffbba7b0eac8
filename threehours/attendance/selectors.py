from __future__ import annotations

import datetime as dt

from django.db import DEFAULT_DB_ALIAS, connections

from threehours.activities.models import Activity
from threehours.core.db import Columns, hot_cursor
from threehours.orgs.models import Organisation
from threehours.signups.models import Signup

from .models import Attendance, NoShow


def activity_for_attendance(*, activity_id: int) -> Activity | None:
    """A published activity (one query): all that checking in needs."""
    return Activity.objects.published().filter(pk=activity_id).first()


CHECKIN_ACTIVITY_FIELDS = (
    "id",
    "organisation",
    "title",
    "state",
    "online",
    "start_date",
    "end_date",
    "checkin_time",
    "checkout_time",
    "lat",
    "lng",
    "checkin_radius_m",
    "address",  # the check-in page shows it
)
# Only what checking in and out reads; any other field loads on first use.
_SIGNUP_COLUMNS = Columns(Signup, "s", ("id", "activity", "volunteer", "status"))
_ACTIVITY_COLUMNS = Columns(Activity, "a", CHECKIN_ACTIVITY_FIELDS)
# What checking out reads of the day's attendance; the rest loads on first use.
CHECKOUT_ATTENDANCE_COLUMNS = Columns(
    Attendance,
    "att",
    (
        "signup",
        "activity",
        "volunteer",
        "day",
        "checked_in_at",
        "checkin_method",
        "checked_out_at",
        "checkout_method",
        "hours",
    ),
)


def _signup_query(connection, *, with_day: bool) -> str:
    # Identifiers come from the models, values are parameters.
    organisations = Organisation._meta.db_table
    also_select = also_join = ""
    if with_day:
        also_select = f", {CHECKOUT_ATTENDANCE_COLUMNS.sql(connection)}"
        also_join = (
            f"LEFT JOIN {CHECKOUT_ATTENDANCE_COLUMNS.table(connection)} "
            "ON att.signup_id = s.id AND att.day = %s "
        )
    return (
        f"SELECT {_SIGNUP_COLUMNS.sql(connection)}, {_ACTIVITY_COLUMNS.sql(connection)}"  # noqa: S608
        f"{also_select} "
        f"FROM {_SIGNUP_COLUMNS.table(connection)} "
        f"JOIN {_ACTIVITY_COLUMNS.table(connection)} ON a.id = s.activity_id "
        f"JOIN {organisations} o ON o.id = a.organisation_id "
        f"{also_join}"
        "WHERE s.activity_id = %s AND s.volunteer_id = %s AND s.status = %s "
        "AND a.state = %s AND o.suspended_at IS NULL"
    )


def signup_for_attendance(
    *, activity_id: int, volunteer, day: dt.date | None = None
) -> Signup | None:
    """The volunteer's confirmed registration for a published activity of an organisation
    that is not suspended, with the activity: what checking in needs, in one query. With
    `day`, also the registration's attendance of that day (what checking out reads), as
    `signup.attendance_by_day = {day: Attendance or None}`.

    Every check-in and check-out starts here, so it is one hand-written SELECT: compiling the
    same ORM query (select_related + only) cost 1.5 ms of CPU per request (bench/README.md)."""
    if not 0 < activity_id < 2**63:  # a foreign-key lookup has no out-of-range guard (SQLite)
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    params = [activity_id, volunteer.pk, Signup.Status.CONFIRMED, Activity.State.PUBLISHED]
    if day is not None:
        params.insert(0, Attendance._meta.get_field("day").get_db_prep_value(day, connection))
    with hot_cursor(connection) as cursor:
        cursor.execute(_signup_query(connection, with_day=day is not None), params)
        row = cursor.fetchone()
    if row is None:
        return None
    signup = _SIGNUP_COLUMNS.load(row, 0, connection)
    start = len(_SIGNUP_COLUMNS)
    signup.activity = _ACTIVITY_COLUMNS.load(row, start, connection)
    signup.volunteer = volunteer
    if day is not None:
        start += len(_ACTIVITY_COLUMNS)
        columns = CHECKOUT_ATTENDANCE_COLUMNS
        found = row[start + columns.fields.index(Attendance._meta.pk)] is not None  # LEFT JOIN
        signup.attendance_by_day = {day: columns.load(row, start, connection) if found else None}
    return signup


def checkin_target(
    *, activity_id: int, volunteer, day: dt.date | None = None
) -> tuple[Activity | None, Signup | None]:
    """What a check-in or check-out (API or page) starts from. For the usual caller, a
    confirmed registrant, the registration with its activity (and, with `day`, that day's
    attendance) in one query, `signup_for_attendance`. For anyone else, the activity alone
    (None when it is not visible), and the service explains the refusal."""
    signup = signup_for_attendance(activity_id=activity_id, volunteer=volunteer, day=day)
    if signup is not None:
        return signup.activity, signup
    return activity_for_attendance(activity_id=activity_id), None


def attendance_today(*, activity: Activity, volunteer, day: dt.date) -> Attendance | None:
    if not volunteer.is_authenticated:
        return None
    return Attendance.objects.filter(activity=activity, volunteer=volunteer, day=day).first()


def attendance_board(*, activity: Activity, day: dt.date) -> dict:
    """The day's board for staff: every confirmed registrant with their attendance, grouped
    into registered (not yet in), checked in, checked out and absent (marked no-show)."""
    signups = list(
        Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED)
        .select_related("volunteer")
        .order_by("created_at", "pk")
    )
    by_signup = {a.signup_id: a for a in Attendance.objects.filter(activity=activity, day=day)}
    absent = set(
        NoShow.objects.filter(signup__activity=activity, day=day).values_list(
            "signup_id", flat=True
        )
    )
    groups: dict[str, list] = {"registered": [], "checked_in": [], "checked_out": [], "absent": []}
    for signup in signups:
        signup.attendance = by_signup.get(signup.pk)
        if signup.attendance is None:
            groups["absent" if signup.pk in absent else "registered"].append(signup)
        elif signup.attendance.checked_out_at is None:
            groups["checked_in"].append(signup)
        else:
            groups["checked_out"].append(signup)
    return groups
