from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from threehours.accounts.consent import CONSENT_VERSIONS
from threehours.accounts.models import Consent
from threehours.activities.models import Activity
from threehours.core.db import Columns, hot_cursor, id_in_range
from threehours.core.errors import NotFound
from threehours.orgs.models import Organisation
from threehours.signups.models import Signup, SignupChild

from . import rules
from .errors import BadCode
from .models import Attempt, Attendance, ChildPhoto, Correction, DayCode, NoShow


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
    "checkin_qr_only",
    "address",  # the check-in page shows it
)
# Only what checking in and out reads; any other field loads on first use.
# `seats`: more than one is a family registration, whose page also lists the children.
_SIGNUP_COLUMNS = Columns(Signup, "s", ("id", "activity", "volunteer", "status", "seats"))
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


@dataclass(frozen=True)
class CodeState:
    """What checking a 4-digit code needs beyond the registration: the day's code generation
    (rotations after too many wrong codes, models.DayCode) and the volunteer's wrong codes
    that day (the per-volunteer limit)."""

    day: dt.date
    generation: int
    wrong: int


def _signup_query(connection, *, with_attendance: bool, with_code: bool) -> str:
    # Identifiers come from the models, values are parameters.
    organisations = Organisation._meta.db_table
    also_select = also_join = ""
    if with_attendance:
        also_select += f", {CHECKOUT_ATTENDANCE_COLUMNS.sql(connection)}"
        also_join += (
            f"LEFT JOIN {CHECKOUT_ATTENDANCE_COLUMNS.table(connection)} "
            # The registrant's own row (a family registration also holds its children's).
            "ON att.signup_id = s.id AND att.volunteer_id = s.volunteer_id AND att.day = %s "
        )
    if with_code:
        # The day's code generation and the volunteer's wrong codes ride along, so that a
        # check-in by code costs the statements a QR check-in costs (issue #12, "Speed"); the
        # count reads attempt_volunteer_idx and is 0 rows for nearly everyone.
        also_select += (
            ", dc.generation, "  # noqa: S608
            f"(SELECT COUNT(*) FROM {Attempt._meta.db_table} w WHERE w.volunteer_id = "
            "s.volunteer_id AND w.activity_id = s.activity_id AND w.day = %s "
            "AND w.result = %s)"
        )
        also_join += (
            f"LEFT JOIN {DayCode._meta.db_table} dc "
            "ON dc.activity_id = s.activity_id AND dc.day = %s "
        )
    # Whether the volunteer gave the location consent (issue #16 §1) rides along too: one
    # probe of consent_user_kind_version_unique, so that checking in with a position costs
    # no statement more.
    also_select += (
        f", EXISTS (SELECT 1 FROM {Consent._meta.db_table} lc WHERE lc.user_id = "  # noqa: S608
        "s.volunteer_id AND lc.kind = %s AND lc.version = %s AND lc.withdrawn_at IS NULL)"
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
    *,
    activity_id: int,
    volunteer,
    day: dt.date | None = None,
    with_attendance: bool = True,
    with_code: bool = False,
) -> Signup | None:
    """The volunteer's confirmed registration for a published activity of an organisation
    that is not suspended, with the activity: what checking in needs, in one query. With
    `day`, also the registration's attendance of that day (what checking out reads), as
    `signup.attendance_by_day = {day: Attendance or None}`, unless `with_attendance` is
    false; and with `with_code`, the day's code state (what a 4-digit code is checked
    against) as `signup.code_state`.

    Every check-in and check-out starts here, so it is one hand-written SELECT: compiling the
    same ORM query (select_related + only) cost 1.5 ms of CPU per request (bench/README.md)."""
    if not id_in_range(activity_id):
        return None
    with_attendance = with_attendance and day is not None
    with_code = with_code and day is not None
    connection = connections[DEFAULT_DB_ALIAS]
    db_day = Attendance._meta.get_field("day").get_db_prep_value(day, connection)
    # In the statement's order: the wrong-code count, the joins, the conditions.
    params = [db_day, BadCode.code] if with_code else []
    params += [Consent.Kind.LOCATION.value, CONSENT_VERSIONS[Consent.Kind.LOCATION]]
    params += [db_day] * (with_attendance + with_code)
    params += [activity_id, volunteer.pk, Signup.Status.CONFIRMED, Activity.State.PUBLISHED]
    with hot_cursor(connection) as cursor:
        query = _signup_query(connection, with_attendance=with_attendance, with_code=with_code)
        cursor.execute(query, params)
        row = cursor.fetchone()
    if row is None:
        return None
    signup = _SIGNUP_COLUMNS.load(row, 0, connection)
    start = len(_SIGNUP_COLUMNS)
    signup.activity = _ACTIVITY_COLUMNS.load(row, start, connection)
    signup.volunteer = volunteer
    start += len(_ACTIVITY_COLUMNS)
    if with_attendance:
        columns = CHECKOUT_ATTENDANCE_COLUMNS
        found = row[start + columns.fields.index(Attendance._meta.pk)] is not None  # LEFT JOIN
        signup.attendance_by_day = {day: columns.load(row, start, connection) if found else None}
        start += len(columns)
    if with_code:
        generation, wrong = row[start : start + 2]
        signup.code_state = CodeState(day=day, generation=generation or 0, wrong=wrong)
        start += 2
    signup.location_consented = bool(row[start])
    return signup


def checkin_target(
    *,
    activity_id: int,
    volunteer,
    day: dt.date | None = None,
    with_attendance: bool = True,
    with_code: bool = False,
) -> tuple[Activity | None, Signup | None]:
    """What a check-in or check-out (API or page) starts from. For the usual caller, a
    confirmed registrant, the registration with its activity (and, with `day`, that day's
    attendance and, `with_code`, the day's code state) in one query, `signup_for_attendance`.
    For anyone else, the activity alone (None when it is not visible), and the service
    explains the refusal."""
    signup = signup_for_attendance(
        activity_id=activity_id,
        volunteer=volunteer,
        day=day,
        with_attendance=with_attendance,
        with_code=with_code,
    )
    if signup is not None:
        return signup.activity, signup
    return activity_for_attendance(activity_id=activity_id), None


def attendance_today(*, activity: Activity, volunteer, day: dt.date) -> Attendance | None:
    if not volunteer.is_authenticated:
        return None
    return Attendance.objects.filter(activity=activity, volunteer=volunteer, day=day).first()


@dataclass(frozen=True)
class ChildRow:
    """A child of a family registration on the board: their attendance of the day (None
    before check-in) and, through it, the check-in photo (gone after retention)."""

    child: object
    attendance: Attendance | None

    @property
    def photo(self) -> ChildPhoto | None:
        return self.attendance.photo if self.attendance is not None else None


def attendance_board(*, activity: Activity, day: dt.date) -> dict:
    """The day's board for staff: every confirmed registrant with their attendance, grouped
    into registered (not yet in), checked in, checked out and absent (marked no-show). Each
    row carries the check-in's `evidence` (method, accuracy, flags) or None."""
    signups = list(
        Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED)
        .select_related("volunteer")
        .order_by("created_at", "pk")
    )
    # A family registration holds its children's rows too (one per person and day): the
    # registrant's row is theirs, each child's is listed under them.
    by_person = {
        (a.signup_id, a.volunteer_id): a
        for a in Attendance.objects.filter(activity=activity, day=day).select_related("photo")
    }
    children: dict[int, list[ChildRow]] = {}
    for link in (
        SignupChild.objects.filter(signup__in=[s.pk for s in signups])
        .select_related("child")
        .order_by("child__birth_date", "child_id")
    ):
        attendance = by_person.get((link.signup_id, link.child_id))
        children.setdefault(link.signup_id, []).append(
            ChildRow(child=link.child, attendance=attendance)
        )
    absent = set(
        NoShow.objects.filter(signup__activity=activity, day=day).values_list(
            "signup_id", flat=True
        )
    )
    evidence = position_evidence(activity_ids=[activity.pk], date_from=day, date_to=day)
    groups: dict[str, list] = {"registered": [], "checked_in": [], "checked_out": [], "absent": []}
    for signup in signups:
        signup.attendance = by_person.get((signup.pk, signup.volunteer_id))
        signup.children_rows = children.get(signup.pk, [])
        signup.evidence = evidence.get((activity.pk, signup.volunteer_id, day))
        if signup.attendance is None:
            groups["absent" if signup.pk in absent else "registered"].append(signup)
        elif signup.attendance.checked_out_at is None:
            groups["checked_in"].append(signup)
        else:
            groups["checked_out"].append(signup)
    return groups


def attendance_board_counts(groups: dict[str, list]) -> dict[str, int]:
    """The board's counters in people, not registrations: a family's registrant counts in
    their group and each child in the child's own state (in, out, not yet; absent with the
    family when it was marked absent)."""
    counts = {name: len(rows) for name, rows in groups.items()}
    for name, rows in groups.items():
        for signup in rows:
            for row in signup.children_rows:
                if row.attendance is None:
                    counts["absent" if name == "absent" else "registered"] += 1
                elif row.attendance.checked_out_at is None:
                    counts["checked_in"] += 1
                else:
                    counts["checked_out"] += 1
    return counts


def corrections_for_org(*, org: Organisation, status: str = "") -> QuerySet[Correction]:
    """The organisation's attendance corrections (all, or of one status), with what a list shows."""
    rows = Correction.objects.filter(organisation=org).select_related(
        "activity", "volunteer", "requested_by", "decided_by"
    )
    return rows.filter(status=status) if status else rows


def access_correction_for_org(*, org: Organisation, correction_id: int) -> Correction:
    """One correction of the organisation. Another organisation's raises NotFound like an
    unknown id, so ids reveal nothing."""
    correction = None
    if id_in_range(correction_id):
        correction = corrections_for_org(org=org).filter(pk=correction_id).first()
    if correction is None:
        raise NotFound(_("No such correction."))
    return correction


def corrections_pending_of(*, volunteer) -> list[Correction]:
    """Corrections of the volunteer's hours that wait for a second staff member (我的公益时)."""
    return list(
        Correction.objects.filter(volunteer=volunteer, status=Correction.Status.PENDING)
        .select_related("activity")
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class Evidence:
    """How one check-in was proven, for the board and the export (issue #12 §5)."""

    method: str
    accuracy_m: int | None
    distance_m: int | None
    flags: tuple[str, ...]

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[flag]) for flag in self.flags]


FLAG_LABELS = {
    rules.SAME_POSITION: _("same position as another volunteer"),
    rules.NO_ACCURACY: _("no accuracy reported"),
    rules.TOO_PRECISE: _("accuracy too good for a phone"),
}


def position_evidence(
    *, activity_ids: list[int], date_from: dt.date, date_to: dt.date
) -> dict[tuple[int, int, dt.date], Evidence]:
    """{(activity id, volunteer id, day): Evidence} of the accepted check-ins in the range,
    with the flags of rules.position_flags computed per activity-day. One query."""
    rows = (
        Attempt.objects.filter(
            activity_id__in=activity_ids,
            day__gte=date_from,
            day__lte=date_to,
            action=Attempt.Action.CHECKIN,
            result="ok",
        )
        # Not a guardian's check-in of their children: it carries the guardian's own
        # position, which is not a second phone at the same spot.
        .filter(Q(actor__isnull=True) | ~Q(method__in=rules.ON_SITE_METHODS))
        .order_by("pk")
        .values_list(
            "activity_id", "volunteer_id", "day", "lat", "lng", "accuracy_m", "method", "distance_m"
        )
        .iterator()
    )
    by_day: dict[tuple[int, dt.date], dict] = {}
    distances = {}
    for activity_id, volunteer_id, day, lat, lng, accuracy, method, distance in rows:
        by_day.setdefault((activity_id, day), {})[volunteer_id] = (lat, lng, accuracy, method)
        distances[(activity_id, volunteer_id, day)] = distance
    found = {}
    for (activity_id, day), positions in by_day.items():
        flags = rules.position_flags(positions, suspect_m=settings.CHECKIN_ACCURACY_SUSPECT_M)
        for volunteer_id, (_lat, _lng, accuracy, method) in positions.items():
            found[(activity_id, volunteer_id, day)] = Evidence(
                method=method,
                accuracy_m=accuracy,
                distance_m=distances.get((activity_id, volunteer_id, day)),
                flags=tuple(flags[volunteer_id]),
            )
    return found


def access_child_photo(*, user, photo_id: int) -> ChildPhoto:
    """A child's check-in photo, for the guardian who took it, a current guardian of a child
    in it, or staff of the activity's organisation; anyone else (and a photo deleted after
    retention) NotFound, so ids reveal nothing."""
    from threehours.family.models import Guardianship
    from threehours.orgs.models import Membership

    photo = None
    if id_in_range(photo_id) and user.is_authenticated:
        photo = (
            ChildPhoto.objects.filter(pk=photo_id, deleted_at__isnull=True)
            .select_related("activity")
            .first()
        )
    if photo is None:
        raise NotFound()
    if photo.guardian_id == user.pk:
        return photo
    children = Attendance.objects.filter(photo=photo).values("volunteer_id")
    if Guardianship.objects.current().filter(guardian=user, child_id__in=children).exists():
        return photo
    if Membership.objects.filter(
        user=user,
        organisation_id=photo.activity.organisation_id,
        organisation__suspended_at__isnull=True,
    ).exists():
        return photo
    raise NotFound()


def family_today(*, signup: Signup | None, day: dt.date) -> list[ChildRow]:
    """The children of a family registration with their attendance of `day`, for the
    guardian's check-in page (empty for a registration without children)."""
    if signup is None or signup.seats <= 1:  # no child on it: no query
        return []
    links = list(
        SignupChild.objects.filter(signup_id=signup.pk)
        .select_related("child")
        .order_by("child__birth_date", "child_id")
    )
    if not links:
        return []
    found = {
        a.volunteer_id: a
        for a in Attendance.objects.filter(
            signup_id=signup.pk, day=day, volunteer_id__in=[link.child_id for link in links]
        )
    }
    return [ChildRow(child=link.child, attendance=found.get(link.child_id)) for link in links]
