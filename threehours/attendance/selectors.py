from __future__ import annotations

import datetime as dt

from threehours.activities.models import Activity
from threehours.signups.models import Signup

from .models import Attendance, NoShow


def activity_for_attendance(*, activity_id: int) -> Activity | None:
    """A published activity (one query): all that checking in needs."""
    return Activity.objects.published().filter(pk=activity_id).first()


CHECKIN_FIELDS = (
    "id",
    "activity_id",
    "volunteer_id",
    "status",
    "activity__id",
    "activity__organisation_id",
    "activity__title",
    "activity__state",
    "activity__online",
    "activity__start_date",
    "activity__end_date",
    "activity__checkin_time",
    "activity__checkout_time",
    "activity__lat",
    "activity__lng",
    "activity__checkin_radius_m",
)


def signup_for_attendance(*, activity_id: int, volunteer) -> Signup | None:
    """The volunteer's confirmed registration for a published activity of an organisation
    that is not suspended, with the activity: what checking in needs, in one query."""
    if not 0 < activity_id < 2**63:  # a foreign-key lookup has no out-of-range guard (SQLite)
        return None
    return (
        Signup.objects.select_related("activity")
        # Only what checking in and out reads: compiling and loading all ~45 columns of the
        # two rows cost more than the rest of the request's queries (bench/checkin_burst.py).
        .only(*CHECKIN_FIELDS)
        .filter(
            activity_id=activity_id,
            volunteer=volunteer,
            status=Signup.Status.CONFIRMED,
            activity__state=Activity.State.PUBLISHED,
            activity__organisation__suspended_at__isnull=True,
        )
        .first()
    )


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
