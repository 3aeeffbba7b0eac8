"""Check-in and check-out (PRODUCT.md §4, issue #6): the only code that writes Attendance, and
the only caller of hours.services.ledger_append for attendance.

Order of checks: registered → activity day and time window → proof of presence (rotating QR
token or the 4-digit code, wrong codes limited) → identity (pluggable, green channel after two
failures) → position within the radius (offline) → write. Every attempt, accepted or refused,
is recorded as an Attempt; a refused one in its own transaction, after the refusal rolled back.
One attendance per registration and day and one credit per attendance are database constraints.
On PostgreSQL a volunteer's own check-in or check-out at an offline activity writes in one
statement (_in_one_statement): a check-out updates the attendance only while it is still open
with the check-in time its hours were computed from, else the locked path answers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.db import (
    Insert,
    Update,
    insert_one,
    lock_one,
    update_one,
    write_chain,
)
from threehours.core.errors import DomainError, InvalidInput
from threehours.core.geo import distance_m, wgs84_to_gcj02
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_tz
from threehours.hours import services as hours_services
from threehours.hours.models import LedgerEntry, PendingCredit
from threehours.signups.models import Signup

from . import codes, rules, selectors
from .errors import (
    AlreadyCheckedIn,
    AlreadyCheckedOut,
    BadCode,
    CorrectionClosed,
    IdentityFailed,
    IdentityGreenChannel,
    NotAnAttendedDay,
    NotCheckedIn,
    NotRegistered,
    OutsideRadius,
    OutsideWindow,
    OwnCorrection,
    OwnHours,
    PositionRequired,
    ProofRequired,
    QrExpired,
    QrOnly,
    TooManyWrongCodes,
)
from .identity import GREEN_CHANNEL_AFTER, identity_provider
from .models import Attempt, Attendance, Correction, DayCode, GuessingAlert, Method, NoShow

GUESS_WINDOW = dt.timedelta(minutes=10)
ACCURACY_MAX_M = 1_000_000


@dataclass
class Proof:
    """What the volunteer's phone sends: a QR token or a code, the position, and (with an
    identity provider) the identity evidence."""

    qr_token: str = ""
    code: str = ""
    lat: Decimal | None = None
    lng: Decimal | None = None
    coord: str = "wgs84"
    accuracy: Decimal | None = None  # metres, as the phone reports it
    identity: str = ""
    user_agent: str = ""

    def invalid_fields(self) -> dict[str, list[str]]:
        """The numbers that cannot be used, by field (issue #12 §6): not finite, or out of
        the range a position or an accuracy can have. A client may send NaN or 1e308."""
        errors: dict[str, list[str]] = {}
        for field, value, low, high in (
            ("lat", self.lat, -90, 90),
            ("lng", self.lng, -180, 180),
            ("accuracy", self.accuracy, 0, ACCURACY_MAX_M),
        ):
            if value is not None and not (value.is_finite() and low <= value <= high):
                errors[field] = [
                    _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
                ]
        return errors

    @property
    def accuracy_m(self) -> int | None:
        if self.accuracy is None or not self.accuracy.is_finite():
            return None
        return int(min(max(self.accuracy, 0), ACCURACY_MAX_M))


@dataclass
class _Log:
    method: str = ""
    distance: int | None = None


def _local(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()).astimezone(local_tz())


def _confirmed_signup(activity: Activity, volunteer: User) -> Signup:
    signup = Signup.objects.filter(
        activity=activity, volunteer=volunteer, status=Signup.Status.CONFIRMED
    ).first()
    if signup is None:
        raise NotRegistered()
    return signup


def _is_activity_day(activity: Activity, day: dt.date) -> bool:
    return activity.start_date <= day <= activity.end_date


def _checkin_closed(activity: Activity, day: dt.date) -> OutsideWindow:
    """The refusal, naming when check-in is open (PRODUCT.md §4): on each activity day until
    that day's check-out time."""
    end = activity.checkout_time.strftime("%H:%M")
    if _is_activity_day(activity, day) or activity.start_date == activity.end_date:
        shown = day if _is_activity_day(activity, day) else activity.start_date
        return OutsideWindow(
            _("Check-in is open on %(day)s until %(end)s.") % {"day": shown.isoformat(), "end": end}
        )
    return OutsideWindow(
        _("Check-in is open every day from %(first)s to %(last)s, until %(end)s.")
        % {
            "first": activity.start_date.isoformat(),
            "last": activity.end_date.isoformat(),
            "end": end,
        }
    )


def _checkout_closed(activity: Activity, signup: Signup, day: dt.date) -> OutsideWindow:
    """The refusal, naming when check-out is open: each activity day from its check-in time
    until 24:00. After midnight, someone still checked in from the day before is told that
    day's check-out has closed (not "you have not checked in"), and where their hours go."""
    yesterday = day - dt.timedelta(days=1)
    if (
        _is_activity_day(activity, yesterday)
        and Attendance.objects.filter(
            signup=signup, day=yesterday, checked_out_at__isnull=True
        ).exists()
    ):
        return OutsideWindow(
            _(
                "Check-out for %(day)s closed at 24:00 that day. The hours from your check-in "
                "will be proposed to you under My hours to confirm; or ask the staff."
            )
            % {"day": yesterday.isoformat()}
        )
    start = activity.checkin_time.strftime("%H:%M")
    if _is_activity_day(activity, day) or activity.start_date == activity.end_date:
        shown = day if _is_activity_day(activity, day) else activity.start_date
        return OutsideWindow(
            _("Check-out is open on %(day)s from %(start)s until 24:00.")
            % {"day": shown.isoformat(), "start": start}
        )
    return OutsideWindow(
        _("Check-out is open every day from %(first)s to %(last)s, from %(start)s until 24:00.")
        % {
            "first": activity.start_date.isoformat(),
            "last": activity.end_date.isoformat(),
            "start": start,
        }
    )


def _wrong_codes(activity: Activity, volunteer: User, day: dt.date) -> int:
    return Attempt.objects.filter(
        activity=activity, volunteer=volunteer, day=day, result=BadCode.code
    ).count()


def _seconds_to_midnight(now: dt.datetime) -> int:
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), now.tzinfo)
    return max(1, int((tomorrow - now).total_seconds()))


def _code_state(activity: Activity, volunteer: User, signup: Signup, day: dt.date):
    """The day's code generation and the volunteer's wrong codes that day: from the
    registration's read when it brought them (selectors.signup_for_attendance, the usual
    path: a code check-in then costs what a QR check-in costs), else read here."""
    known = getattr(signup, "code_state", None)
    if known is not None and known.day == day:
        return known
    return selectors.CodeState(
        day=day,
        generation=_generation(activity, day),
        wrong=_wrong_codes(activity, volunteer, day),
    )


def _generation(activity: Activity, day: dt.date) -> int:
    """How often the activity-day's code has rotated (0: no DayCode row yet)."""
    generation = (
        DayCode.objects.filter(activity=activity, day=day)
        .values_list("generation", flat=True)
        .first()
    )
    return generation or 0


def _presence(
    activity: Activity,
    volunteer: User,
    day: dt.date,
    proof: Proof,
    now,
    log: _Log,
    *,
    signup: Signup,
    action: str,
):
    """A valid QR token or the day's code (of its current generation). With "QR only" the
    code is refused unless the green channel is open. Raises QrExpired, ProofRequired,
    QrOnly, BadCode, TooManyWrongCodes."""
    if proof.qr_token and codes.qr_token_valid(proof.qr_token, activity_id=activity.pk, day=day):
        log.method = Method.QR
        return
    if proof.code:
        if activity.checkin_qr_only and not _green_channel_open(activity, volunteer, day):
            raise QrOnly()
        state = _code_state(activity, volunteer, signup, day)
        if state.wrong >= settings.CHECKIN_CODE_MAX_WRONG:
            raise TooManyWrongCodes(retry_after=_seconds_to_midnight(now))
        expected = codes.day_code(activity.pk, day, state.generation)
        if not hmac.compare_digest(proof.code.strip(), expected):
            _wrong_code(activity, volunteer, day, proof, now, log, signup=signup, action=action)
        log.method = Method.CODE
        return
    if proof.qr_token:
        raise QrExpired()
    raise ProofRequired()


def _wrong_code(activity, volunteer, day, proof, now, log, *, signup: Signup, action: str):
    """Count the day's wrong codes and record this one in one transaction, holding the
    registration's row lock (PostgreSQL; SQLite's IMMEDIATE transaction serialises anyway):
    wrong codes sent in parallel would otherwise all count fewer than the limit and all be
    let through to guess. The activity-day's count across all volunteers moves in the same
    transaction; past CHECKIN_CODE_ROTATE_AFTER the code rotates and staff are told.
    Raises TooManyWrongCodes, or BadCode already on record."""
    rotated = None
    with transaction.atomic():
        lock_one(Signup, pk=signup.pk)
        limited = _wrong_codes(activity, volunteer, day) >= settings.CHECKIN_CODE_MAX_WRONG
        if not limited:
            _record(activity, volunteer, day, action, BadCode.code, proof, log)
            rotated = _day_code_wrong(activity, day, now)
    if rotated is not None:
        _tell_staff_rotated(activity, rotated)
    if limited:
        raise TooManyWrongCodes(retry_after=_seconds_to_midnight(now))
    error = BadCode()
    error.recorded = True  # type: ignore[attr-defined]
    raise error


def _day_code_wrong(activity: Activity, day: dt.date, now: dt.datetime) -> DayCode | None:
    """One more wrong code on the activity-day, whoever sent it (issue #12 §4). Returns the
    row when this one made the code rotate. Locks the day's DayCode row (wrong-code path
    only: a correct code never writes here)."""
    DayCode.objects.get_or_create(activity=activity, day=day)  # a savepoint when racing
    row = lock_one(DayCode, activity=activity, day=day)
    row.wrong += 1
    row.wrong_total += 1
    rotated = row.wrong >= settings.CHECKIN_CODE_ROTATE_AFTER
    if rotated:
        row.generation, row.wrong, row.rotated_at = row.generation + 1, 0, now
    row.save()
    if rotated:
        audit_record(
            actor=None,
            verb="attendance.code_rotated",
            target=activity,
            data={"day": day.isoformat(), "generation": row.generation},
        )
    return row if rotated else None


def code_current(*, activity: Activity, day: dt.date) -> str:
    """The activity-day's 4-digit code as the door screen shows it now (after rotations)."""
    return codes.day_code(activity.pk, day, _generation(activity, day))


def _green_channel_open(activity: Activity, volunteer: User, day: dt.date) -> bool:
    """The guide's green channel: an identity provider is on and the volunteer failed its
    check twice that day; then the code from staff is accepted."""
    if identity_provider() is None:
        return False
    return _identity_failures(activity, volunteer, day) >= GREEN_CHANNEL_AFTER


def _identity_failures(activity: Activity, volunteer: User, day: dt.date) -> int:
    return Attempt.objects.filter(
        activity=activity, volunteer=volunteer, day=day, result=IdentityFailed.code
    ).count()


def _identity(activity: Activity, volunteer: User, day: dt.date, proof: Proof, log: _Log) -> None:
    """With an identity provider: the evidence must pass, or — after two failures that day —
    the code from staff opens the green channel. Raises IdentityFailed."""
    provider = identity_provider()
    if provider is None:
        return
    if proof.identity and provider.verify(volunteer, proof.identity):
        return
    failures = _identity_failures(activity, volunteer, day)
    if failures >= GREEN_CHANNEL_AFTER and log.method == Method.CODE:
        log.method = Method.GREEN
        return
    if failures + 1 >= GREEN_CHANNEL_AFTER:
        raise IdentityGreenChannel()
    raise IdentityFailed()


def _on_site(activity, volunteer, signup, day, proof: Proof, now, log: _Log, action: str) -> None:
    """What a volunteer's own check-in or check-out must prove: presence (QR token or code),
    identity, position. Raises InvalidInput (a number that cannot be used), and as
    _presence, _identity and _position."""
    invalid = proof.invalid_fields()
    if invalid:
        raise InvalidInput(fields=invalid)
    _presence(activity, volunteer, day, proof, now, log, signup=signup, action=action)
    _identity(activity, volunteer, day, proof, log)
    _position(activity, proof, log)


def _position(activity: Activity, proof: Proof, log: _Log) -> None:
    """Offline activities: the position must be within the radius (WGS-84 from browsers is
    converted to GCJ-02 first). Raises PositionRequired, OutsideRadius."""
    if activity.online:
        return
    if proof.lat is None or proof.lng is None:
        raise PositionRequired()
    lat, lng = float(proof.lat), float(proof.lng)
    if proof.coord == "wgs84":
        lat, lng = wgs84_to_gcj02(lat, lng)
    distance = distance_m(lat, lng, float(activity.lat), float(activity.lng))
    log.distance = round(distance)
    if distance > activity.checkin_radius_m:
        raise OutsideRadius(distance=round(distance), radius=activity.checkin_radius_m)


def _record(
    activity: Activity,
    volunteer: User,
    day: dt.date,
    action: str,
    result: str,
    proof: Proof | None,
    log: _Log,
    actor: User | None = None,
) -> None:
    # insert_one: every check-in and check-out writes one; compiling the ORM's INSERT cost
    # more CPU than the database spent on it (core.db.insert_one).
    insert_one(_attempt(activity, volunteer, day, action, result, proof, log, actor))


def _attempt(activity, volunteer, day, action, result, proof, log, actor=None) -> Attempt:
    return Attempt(
        activity=activity,
        volunteer=volunteer,
        actor=actor,
        day=day,
        action=action,
        method=log.method,
        result=result,
        lat=_storable(proof.lat, 90) if proof else None,
        lng=_storable(proof.lng, 180) if proof else None,
        coord=proof.coord if proof and proof.lat is not None else "",
        accuracy_m=proof.accuracy_m if proof else None,
        distance_m=log.distance,
        user_agent=(proof.user_agent if proof else "")[:300],
    )


def _storable(value: Decimal | None, limit: int) -> Decimal | None:
    """A coordinate as the attempt keeps it: none when it is not a usable number (the refusal
    says which field was wrong; the row still records the attempt)."""
    if value is None or not value.is_finite() or abs(value) > limit:
        return None
    return round(value, 6)


def _in_one_statement(activity: Activity, staff: User | None) -> bool:
    """The volunteer's own check-in or check-out at an offline activity on PostgreSQL (nearly
    every request of a burst) writes in one autocommitted statement (core.db.write_chain):
    each round trip costs CPU in Python and in PostgreSQL, and a transaction adds two. Online
    activities and staff add writes of their own and keep the transaction; so does SQLite,
    which has no data-modifying WITH (docs/decisions/0007)."""
    return (
        staff is None
        and not activity.online
        and transaction.get_connection().vendor == "postgresql"
    )


def _refused(activity, volunteer, day, action, exc: DomainError, proof, log, actor=None) -> None:
    """Record a refused attempt (its own transaction: the refusal rolled the rest back) and
    alert staff when wrong codes pile up on one activity-day."""
    if not getattr(exc, "recorded", False):
        with transaction.atomic():
            _record(activity, volunteer, day, action, exc.code, proof, log, actor)
    if exc.code == BadCode.code:
        _guessing_check(activity, day)


def _guessing_check(activity: Activity, day: dt.date) -> None:
    since = timezone.now() - GUESS_WINDOW
    wrong = Attempt.objects.filter(
        activity=activity, day=day, result=BadCode.code, created_at__gte=since
    ).count()
    if wrong < settings.CHECKIN_GUESS_ALERT:
        return
    try:
        with transaction.atomic():
            GuessingAlert.objects.create(activity=activity, day=day)
            _tell_staff(
                activity,
                _("Many wrong check-in codes"),
                _(
                    "%(count)s wrong 4-digit codes for 《%(title)s》 in the last 10 minutes: "
                    "someone may be guessing. Check who is checked in on the attendance board."
                )
                % {"count": wrong, "title": activity.title},
            )
    except IntegrityError:
        pass  # staff were already told about this day


def _tell_staff_rotated(activity: Activity, row: DayCode) -> None:
    with transaction.atomic():
        _tell_staff(
            activity,
            _("The day's check-in code was changed"),
            _(
                "%(count)s wrong 4-digit codes were entered for 《%(title)s》 today, so the code "
                "was changed. The door screen shows the new code; read that one out from now "
                "on. Check who is checked in on the attendance board."
            )
            % {"count": settings.CHECKIN_CODE_ROTATE_AFTER, "title": activity.title},
        )


def _tell_staff(activity: Activity, title: str, body: str) -> None:
    """An in-app message and an SMS to every staff member of the activity's organisation,
    linking to the day's attendance board."""
    from django.urls import reverse

    from threehours.notifications.services import notify
    from threehours.orgs.models import Membership

    link = reverse(
        "console:attendance-board",
        kwargs={"org_id": activity.organisation_id, "activity_id": activity.pk},
    )
    for membership in Membership.objects.filter(
        organisation_id=activity.organisation_id
    ).select_related("user"):
        notify(user=membership.user, title=title, body=body, link=link, sms=True)


def attendance_check_in(
    *,
    activity: Activity,
    volunteer: User,
    proof: Proof | None = None,
    staff: User | None = None,
    now: dt.datetime | None = None,
    signup: Signup | None = None,
) -> Attendance:
    """Check a confirmed registrant in for today. With `staff` (staff-assisted, method `staff`)
    no proof or position is needed. Online activities: checking in completes the participation
    and credits 0.1 h once per registration.

    Raises NotRegistered, OutsideWindow, QrExpired, ProofRequired, BadCode, TooManyWrongCodes
    (429), IdentityFailed, PositionRequired, OutsideRadius, AlreadyCheckedIn."""
    now = _local(now)
    day, log = now.date(), _Log(method=Method.STAFF if staff else "")
    try:
        # The caller may have read the confirmed registration with its activity (one query).
        signup = signup or _confirmed_signup(activity, volunteer)
        if not _is_activity_day(activity, day) or not rules.checkin_open(
            now, day, activity.checkin_time, activity.checkout_time
        ):
            raise _checkin_closed(activity, day)
        if staff is None:
            _on_site(activity, volunteer, signup, day, proof or Proof(), now, log, "checkin")
        attendance = Attendance(
            signup=signup,
            activity=activity,
            volunteer=volunteer,
            day=day,
            checked_in_at=now,
            checkin_method=log.method,
        )
        if _in_one_statement(activity, staff):
            # The attendance and its attempt, or neither: the day's check-in is on record
            # already (attendance_one_per_signup_day), answered as the IntegrityError below.
            attempt = _attempt(activity, volunteer, day, "checkin", "ok", proof, log)
            if not write_chain(Insert(attendance, skip_conflict=True), Insert(attempt)):
                raise _already_checked_in(activity, volunteer, day)
            return attendance
        with transaction.atomic(durable=True):
            insert_one(attendance)
            if activity.online:
                _online_complete(signup, attendance)
            _record(activity, volunteer, day, "checkin", "ok", proof, log, staff)
            if staff is not None:
                audit_record(actor=staff, verb="attendance.staff_checkin", target=attendance)
        return attendance
    except IntegrityError:
        exc: DomainError = _already_checked_in(activity, volunteer, day)
        _refused(activity, volunteer, day, "checkin", exc, proof, log, staff)
        raise exc from None
    except DomainError as exc:
        _refused(activity, volunteer, day, "checkin", exc, proof, log, staff)
        raise


def _already_checked_in(activity: Activity, volunteer: User, day: dt.date) -> AlreadyCheckedIn:
    """The refusal of a second check-in on a day, naming the first one's time."""
    first = Attendance.objects.get(signup__activity=activity, volunteer=volunteer, day=day)
    return AlreadyCheckedIn(time=first.checked_in_at.astimezone(local_tz()).strftime("%H:%M"))


def _online_complete(signup: Signup, attendance: Attendance) -> None:
    """Online activities: 0.1 h participation credit, once per registration (not per day)."""
    attendance.checked_out_at = attendance.checked_in_at
    attendance.checkout_method = attendance.checkin_method
    if LedgerEntry.objects.filter(attendance__signup=signup, entry_type="credit").exists():
        attendance.hours = Decimal("0.0")
    else:
        attendance.hours = signup.activity.max_hours_per_day
        hours_services.ledger_append(
            volunteer=signup.volunteer,
            activity=signup.activity,
            day=attendance.day,
            hours=attendance.hours,
            entry_type=LedgerEntry.EntryType.CREDIT,
            attendance=attendance,
        )
    attendance.save(update_fields=["checked_out_at", "checkout_method", "hours", "updated_at"])


def _window(activity: Activity, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return rules.window_bounds(day, activity.checkin_time, activity.checkout_time, local_tz())


# What checking out reads of the day's attendance (locked, or with the registration) and
# returns; the rest loads on first use.
_CHECKOUT_COLUMNS = selectors.CHECKOUT_ATTENDANCE_COLUMNS


def attendance_check_out(
    *,
    activity: Activity,
    volunteer: User,
    proof: Proof | None = None,
    staff: User | None = None,
    now: dt.datetime | None = None,
    signup: Signup | None = None,
) -> Attendance:
    """Check out for today and credit the overlap of [check-in, check-out] with the day's
    window (0.1 h half up, at most the daily maximum). Locks the attendance row (PostgreSQL's
    one statement updates it only while it is open instead), so a check-out sent from several
    clients at once credits once.

    Raises NotRegistered, OutsideWindow, proof/identity/position errors as check-in,
    NotCheckedIn, AlreadyCheckedOut."""
    now = _local(now)
    day, log = now.date(), _Log(method=Method.STAFF if staff else "")
    try:
        # The caller may have read the confirmed registration with its activity (one query).
        signup = signup or _confirmed_signup(activity, volunteer)
        if not _is_activity_day(activity, day) or not rules.checkout_open(
            now, day, activity.checkin_time
        ):
            raise _checkout_closed(activity, signup, day)
        if staff is None:
            _on_site(activity, volunteer, signup, day, proof or Proof(), now, log, "checkout")
        if _in_one_statement(activity, staff):
            attendance = _check_out_in_one_statement(
                activity, volunteer, signup, day, now, proof, log
            )
            if attendance is not None:
                return attendance
        with transaction.atomic(durable=True):
            attendance = _CHECKOUT_COLUMNS.get(lock=True, signup_id=signup.pk, day=day)
            if attendance is None:
                raise NotCheckedIn()
            if attendance.checked_out_at is not None:
                raise AlreadyCheckedOut(
                    time=attendance.checked_out_at.astimezone(local_tz()).strftime("%H:%M"),
                    hours=attendance.hours,
                )
            hours = _close(attendance, activity, day, now, log)
            update_one(attendance, _CHECKOUT_FIELDS)
            if hours > 0:
                hours_services.ledger_append(
                    volunteer=volunteer,
                    activity=activity,
                    day=day,
                    hours=hours,
                    entry_type=LedgerEntry.EntryType.CREDIT,
                    attendance=attendance,
                )
            _record(activity, volunteer, day, "checkout", "ok", proof, log, staff)
            if staff is not None:
                audit_record(actor=staff, verb="attendance.staff_checkout", target=attendance)
        return attendance
    except DomainError as exc:
        _refused(activity, volunteer, day, "checkout", exc, proof, log, staff)
        raise


_CHECKOUT_FIELDS = ("checked_out_at", "checkout_method", "hours", "updated_at")


def _close(attendance: Attendance, activity: Activity, day: dt.date, now, log: _Log) -> Decimal:
    """Set the check-out on the open `attendance` (not saved) and return the hours it earns:
    the overlap with the day's window, 0.1 h half up, at most the daily maximum."""
    hours = rules.credited_hours(
        attendance.checked_in_at, now, _window(activity, day), activity.max_hours_per_day
    )
    attendance.checked_out_at, attendance.checkout_method, attendance.hours = now, log.method, hours
    return hours


def _check_out_in_one_statement(activity, volunteer, signup, day, now, proof, log):
    """Check out as the locked path below does, in one statement without a lock: the day's
    attendance as read (by the caller's registration read, or here), updated only while it is
    still open with the check-in time the hours were computed from, and only then the ledger
    entry, the summary and the attempt (core.db.write_chain). Returns the attendance, or None
    when it wrote nothing: no open attendance was read, or it changed since (a parallel
    check-out won, a coordinator corrected it); the locked path then answers."""
    known = getattr(signup, "attendance_by_day", {})
    attendance = known[day] if day in known else _CHECKOUT_COLUMNS.get(signup_id=signup.pk, day=day)
    if attendance is None or attendance.checked_out_at is not None:
        return None
    checked_in_at = attendance.checked_in_at
    hours = _close(attendance, activity, day, now, log)
    credit = []
    if hours > 0:
        credit = hours_services.ledger_append_writes(
            volunteer=volunteer,
            activity=activity,
            day=day,
            hours=hours,
            entry_type=LedgerEntry.EntryType.CREDIT,
            attendance=attendance,
        )
    written = write_chain(
        Update(
            attendance,
            _CHECKOUT_FIELDS,
            where={"checked_out_at": None, "checked_in_at": checked_in_at},
        ),
        *credit,
        Insert(_attempt(activity, volunteer, day, "checkout", "ok", proof, log)),
    )
    return attendance if written else None


def _refuse_own(*, staff: User, verb: str, target, exc: DomainError) -> DomainError:
    """Put a refused self-related action on record (the integrity report counts them), in a
    transaction of its own, and return the refusal to raise."""
    with transaction.atomic():
        audit_record(
            actor=staff, verb="integrity.own_refused", target=target, data={"action": verb}
        )
    return exc


def attendance_staff_check(
    *, signup: Signup, staff: User, action: str, now: dt.datetime | None = None
) -> Attendance:
    """Staff check a volunteer without a phone in or out (method `staff`, audited); the time
    rules still apply, and a refusal is on record like any other. Nobody checks themselves in
    this way (no proof, no position): OwnHours. Raises as the service."""
    if signup.volunteer_id == staff.pk:
        raise _refuse_own(
            staff=staff, verb=f"attendance.staff_{action}", target=signup, exc=OwnHours()
        )
    service = attendance_check_in if action == "checkin" else attendance_check_out
    # No transaction around the service: it owns its own, and a refusal's Attempt is written
    # after the refused work rolled back; an outer transaction would roll the record back too.
    return service(activity=signup.activity, volunteer=signup.volunteer, staff=staff, now=now)


def _aware(day: dt.date, value: dt.time | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(local_tz())
    return dt.datetime.combine(day, value, tzinfo=local_tz())


def _accepted_on(signup: Signup) -> dt.date:
    """The day the registration became confirmed: made so, accepted by staff, or given a
    place from the waiting list (the latest of these), in Beijing time."""
    moments = [m for m in (signup.created_at, signup.decided_at, signup.promoted_at) if m]
    return max(moments).astimezone(local_tz()).date()


def attended_day_check(*, signup: Signup, day: dt.date, today: dt.date) -> None:
    """A correction needs a real basis (issue #12 §2): an activity day, on or after the
    activity was published and the registration accepted, not after today, never on a
    cancelled activity. Raises NotAnAttendedDay saying which."""
    activity = signup.activity
    if activity.state == Activity.State.CANCELLED:
        raise NotAnAttendedDay(_("The activity was cancelled; its attendance cannot be changed."))
    if activity.published_at is None:
        raise NotAnAttendedDay(_("The activity has not been published."))
    if not activity.start_date <= day <= activity.end_date:
        raise NotAnAttendedDay(
            _("%(day)s is not a day of this activity (%(first)s to %(last)s).")
            % {
                "day": day.isoformat(),
                "first": activity.start_date.isoformat(),
                "last": activity.end_date.isoformat(),
            }
        )
    if day > today:
        raise NotAnAttendedDay(_("%(day)s has not come yet.") % {"day": day.isoformat()})
    published = activity.published_at.astimezone(local_tz()).date()
    if day < published:
        raise NotAnAttendedDay(
            _("The activity was published on %(published)s; nobody attended it on %(day)s.")
            % {"published": published.isoformat(), "day": day.isoformat()}
        )
    accepted = _accepted_on(signup)
    if day < accepted:
        raise NotAnAttendedDay(
            _("This registration was accepted on %(accepted)s; it has no attendance on %(day)s.")
            % {"accepted": accepted.isoformat(), "day": day.isoformat()}
        )


def _measured(attendance: Attendance | None) -> Decimal:
    """What check-in and check-out measured for the day: its credit entry (a correction is
    compared with this, not with earlier corrections, so small steps cannot add up)."""
    if attendance is None:
        return Decimal("0.0")
    credit = LedgerEntry.objects.filter(
        attendance=attendance, entry_type=LedgerEntry.EntryType.CREDIT
    ).values_list("hours", flat=True)
    return next(iter(credit), Decimal("0.0"))


def attendance_correct(
    *,
    signup: Signup,
    day: dt.date,
    checkin_at: dt.time | dt.datetime,
    checkout_at: dt.time | dt.datetime,
    staff: User,
    reason: str,
    today: dt.date | None = None,
) -> Correction:
    """A coordinator sets a day's times (phone died, forgot to check out). Applied at once,
    or — when it raises the day's credit more than CORRECTION_APPROVAL_HOURS over what was
    measured, or is for a day more than CORRECTION_APPROVAL_DAYS back — kept pending until a
    second staff member approves it (correction_approve). Applying adds the difference to what
    the ledger holds for that day as a correction entry with the reason; nothing is deleted.
    The volunteer is told either way. Locks the day's attendance.
    Raises InvalidInput, OwnHours (the staff member is the registrant), NotAnAttendedDay."""
    activity = signup.activity
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Please give a reason; the volunteer will see it.")]
    elif has_payment_link(reason):  # the volunteer reads it (PRODUCT.md §2)
        errors["reason"] = [_("Payment links cannot be put on the platform.")]
    today = today or _local(None).date()
    start, end = _aware(day, checkin_at), _aware(day, checkout_at)
    for field, moment in (("checkin_at", start), ("checkout_at", end)):
        if moment.date() != day:  # a datetime with any offset, read in Asia/Shanghai
            errors[field] = [
                _("In Beijing time this is %(time)s, not on %(day)s.")
                % {"time": moment.strftime("%Y-%m-%d %H:%M"), "day": day.isoformat()}
            ]
    if end < start and "checkout_at" not in errors:
        errors["checkout_at"] = [_("Check-out must be after check-in, on the same day.")]
    if signup.status != Signup.Status.CONFIRMED:
        errors["registration"] = [_("Only confirmed registrants have attendance.")]
    if errors:
        raise InvalidInput(fields=errors)
    if signup.volunteer_id == staff.pk:
        raise _refuse_own(staff=staff, verb="attendance.correct", target=signup, exc=OwnHours())
    attended_day_check(signup=signup, day=day, today=today)
    new_hours = rules.credited_hours(start, end, _window(activity, day), activity.max_hours_per_day)
    with transaction.atomic(durable=True):
        attendance = Attendance.objects.select_for_update().filter(signup=signup, day=day).first()
        measured = _measured(attendance)
        held = hours_services.hours_credited_for(attendance) if attendance else Decimal("0.0")
        why = Correction.Why.NONE
        if new_hours - measured > settings.CORRECTION_APPROVAL_HOURS:
            why = Correction.Why.RAISE
        elif (today - day).days > settings.CORRECTION_APPROVAL_DAYS:
            why = Correction.Why.OLD
        correction = Correction.objects.create(
            signup=signup,
            activity=activity,
            organisation_id=activity.organisation_id,
            volunteer_id=signup.volunteer_id,
            day=day,
            checkin_at=start,
            checkout_at=end,
            hours=new_hours,
            measured_hours=measured,
            held_hours=held,
            reason=reason,
            requested_by=staff,
            status=Correction.Status.PENDING if why else Correction.Status.APPLIED,
            why_pending=why,
        )
        if why:
            audit_record(
                actor=staff,
                verb="attendance.correction_requested",
                target=correction,
                data={"reason": reason, "hours": str(new_hours), "why": why},
            )
            _notify_volunteer(
                signup.volunteer,
                _("A correction of your hours awaits approval"),
                _(
                    "《%(title)s》 %(day)s: %(start)s–%(end)s, %(hours)s h. Reason: %(reason)s. "
                    "A second staff member of the organisation must approve it first."
                )
                % _correction_text(correction),
            )
        else:
            _correction_apply(correction, attendance)
    return correction


def _correction_text(correction: Correction) -> dict[str, str]:
    return {
        "title": correction.activity.title,
        "day": correction.day.isoformat(),
        "start": correction.checkin_at.astimezone(local_tz()).strftime("%H:%M"),
        "end": correction.checkout_at.astimezone(local_tz()).strftime("%H:%M"),
        "hours": f"{correction.hours:.1f}",
        "reason": correction.reason,
    }


def _correction_apply(correction: Correction, attendance: Attendance | None) -> Attendance:
    """Set the day's times as the correction says and append the difference to what the
    ledger holds for the day. Call inside the transaction that locked `attendance`."""
    signup, activity, day = correction.signup, correction.activity, correction.day
    if attendance is None:
        try:
            with transaction.atomic():  # a savepoint: the volunteer may check in meanwhile
                attendance = Attendance.objects.create(
                    signup=signup,
                    activity=activity,
                    volunteer_id=correction.volunteer_id,
                    day=day,
                    checked_in_at=correction.checkin_at,
                    checkin_method=Method.STAFF,
                )
        except IntegrityError:
            attendance = Attendance.objects.select_for_update().get(signup=signup, day=day)
    held = hours_services.hours_credited_for(attendance)
    attendance.checked_in_at, attendance.checked_out_at = (
        correction.checkin_at,
        correction.checkout_at,
    )
    attendance.checkout_method = attendance.checkout_method or Method.STAFF
    attendance.hours = correction.hours
    attendance.save()
    correction.attendance = attendance
    correction.save(update_fields=["attendance"])
    delta = correction.hours - held
    if delta:
        hours_services.ledger_append(
            volunteer=signup.volunteer,
            activity=activity,
            day=day,
            hours=delta,
            entry_type=LedgerEntry.EntryType.CORRECTION,
            attendance=attendance,
            actor=correction.requested_by,
            reason=correction.reason,
        )
    PendingCredit.objects.filter(
        attendance=attendance,
        state__in=[PendingCredit.State.OPEN, PendingCredit.State.DISPUTED],
    ).update(state=PendingCredit.State.SUPERSEDED)
    audit_record(
        actor=correction.decided_by or correction.requested_by,
        verb="attendance.corrected",
        target=attendance,
        data={
            "reason": correction.reason,
            "hours": str(correction.hours),
            "delta": str(delta),
            "correction": correction.pk,
            "requested_by": correction.requested_by_id,
            "approved_by": correction.decided_by_id,
        },
    )
    _notify_volunteer(
        signup.volunteer,
        _("Your hours were corrected"),
        _("《%(title)s》 %(day)s: %(start)s–%(end)s, %(hours)s h. Reason: %(reason)s")
        % _correction_text(correction),
    )
    return attendance


def correction_approve(*, correction: Correction, staff: User) -> Correction:
    """A second staff member of the organisation (or an operator) approves a pending
    correction: it is applied now, on the ledger as it stands. The caller fetched the
    correction with permission. Locks the correction, then the day's attendance.
    Raises CorrectionClosed, OwnCorrection (its author or the volunteer it credits),
    NotAnAttendedDay (the activity was cancelled since)."""
    if staff.pk in (correction.requested_by_id, correction.volunteer_id):
        raise _refuse_own(
            staff=staff,
            verb="attendance.correction_approve",
            target=correction,
            exc=OwnCorrection(),
        )
    with transaction.atomic(durable=True):
        correction = _correction_lock(correction)
        attended_day_check(signup=correction.signup, day=correction.day, today=_local(None).date())
        attendance = (
            Attendance.objects.select_for_update()
            .filter(signup=correction.signup, day=correction.day)
            .first()
        )
        correction.status = Correction.Status.APPROVED
        correction.decided_by, correction.decided_at = staff, timezone.now()
        correction.save(update_fields=["status", "decided_by", "decided_at"])
        _correction_apply(correction, attendance)
    return correction


def correction_reject(*, correction: Correction, staff: User, reason: str) -> Correction:
    """A second staff member (or an operator) turns a pending correction down with a reason
    the volunteer and its author read. Raises InvalidInput, CorrectionClosed, OwnCorrection."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            fields={"reason": [_("Please give a reason; the volunteer will see it.")]}
        )
    if has_payment_link(reason):  # the volunteer reads it (PRODUCT.md §2)
        raise InvalidInput(fields={"reason": [_("Payment links cannot be put on the platform.")]})
    if staff.pk == correction.volunteer_id:
        raise _refuse_own(
            staff=staff, verb="attendance.correction_reject", target=correction, exc=OwnCorrection()
        )
    with transaction.atomic(durable=True):
        correction = _correction_lock(correction)
        correction.status = Correction.Status.REJECTED
        correction.decided_by, correction.decided_at = staff, timezone.now()
        correction.decision_reason = reason[:500]
        correction.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(
            actor=staff,
            verb="attendance.correction_rejected",
            target=correction,
            data={"reason": reason, "requested_by": correction.requested_by_id},
        )
        _notify_volunteer(
            correction.signup.volunteer,
            _("A correction of your hours was not approved"),
            _("《%(title)s》 %(day)s: %(hours)s h was not approved. Reason: %(reason)s")
            % {**_correction_text(correction), "reason": reason},
        )
    return correction


def _correction_lock(correction: Correction) -> Correction:
    locked = (
        Correction.objects.select_for_update(of=("self",))
        .select_related("signup__volunteer", "signup__activity", "activity")
        .get(pk=correction.pk)
    )
    if locked.status != Correction.Status.PENDING:
        raise CorrectionClosed()
    return locked


def _notify_volunteer(user: User, title: str, body: str) -> None:
    from django.urls import reverse

    from threehours.notifications.services import notify

    notify(user=user, title=title, body=body, link=reverse("hours:mine"), sms=False)


def no_show_mark(
    *, signup: Signup, day: dt.date, staff: User, today: dt.date | None = None
) -> NoShow:
    """Mark a confirmed registrant absent on a past activity day on which they never checked
    in. Raises InvalidInput."""
    today = today or _local(None).date()
    activity = signup.activity
    if not activity.start_date <= day <= activity.end_date or day >= today:
        raise InvalidInput(fields={"day": [_("No-shows are marked after the activity day.")]})
    if signup.status != Signup.Status.CONFIRMED:
        raise InvalidInput(
            fields={"registration": [_("Only confirmed registrants can be absent.")]}
        )
    if Attendance.objects.filter(signup=signup, day=day).exists():
        raise InvalidInput(fields={"day": [_("This volunteer checked in that day.")]})
    with transaction.atomic(durable=True):
        no_show, _created = NoShow.objects.get_or_create(
            signup=signup, day=day, defaults={"marked_by": staff}
        )
        audit_record(actor=staff, verb="attendance.no_show", target=no_show)
    return no_show


# -- forgotten check-out ---------------------------------------------------------------------


def pending_credits_create_due(*, now: dt.datetime | None = None) -> int:
    """After an activity day has ended (midnight), every offline attendance without check-out
    gets a pending credit: its check-in time to the end of the day's window. The volunteer is
    asked to confirm. Returns how many were created."""
    now = _local(now)
    created = 0
    due = (
        Attendance.objects.filter(
            checked_out_at__isnull=True, day__lt=now.date(), pending_credit__isnull=True
        )
        .select_related("activity", "volunteer")
        .order_by("pk")
    )
    for attendance in due:
        activity = attendance.activity
        hours = rules.credited_hours(
            attendance.checked_in_at,
            _window(activity, attendance.day)[1],
            _window(activity, attendance.day),
            activity.max_hours_per_day,
        )
        if hours <= 0:
            continue
        try:
            with transaction.atomic():
                PendingCredit.objects.create(
                    attendance=attendance,
                    hours=hours,
                    expires_at=now + dt.timedelta(days=settings.PENDING_CREDIT_DAYS),
                )
                _notify_volunteer(
                    attendance.volunteer,
                    _("You forgot to check out"),
                    _(
                        "《%(title)s》 %(day)s: we propose %(hours)s h (from your check-in to the "
                        "end of the day's time). Confirm or dispute it under My hours; a "
                        "coordinator co-signs it."
                    )
                    % {"title": activity.title, "day": attendance.day.isoformat(), "hours": hours},
                )
        except IntegrityError:
            continue  # another run created it
        created += 1
    return created


def _credit_pending(pending: PendingCredit) -> None:
    attendance = pending.attendance
    activity = attendance.activity
    attendance.checked_out_at = _window(activity, attendance.day)[1]
    attendance.checkout_method = Method.STAFF
    attendance.hours = pending.hours
    attendance.save(update_fields=["checked_out_at", "checkout_method", "hours", "updated_at"])
    hours_services.ledger_append(
        volunteer=attendance.volunteer,
        activity=activity,
        day=attendance.day,
        hours=pending.hours,
        entry_type=LedgerEntry.EntryType.CREDIT,
        attendance=attendance,
        actor=pending.cosigned_by,
        reason=_("Forgotten check-out, confirmed by the volunteer and co-signed by staff."),
    )
    pending.state = PendingCredit.State.CREDITED


def pending_credit_respond(
    *, pending: PendingCredit, volunteer: User, agree: bool, note: str = ""
) -> PendingCredit:
    """The volunteer confirms (one tap) or disputes the proposed hours. Credited at once when a
    coordinator has already co-signed. Raises InvalidInput when it is not theirs or not open."""
    with transaction.atomic(durable=True):
        pending = (
            PendingCredit.objects.select_for_update()
            .select_related("attendance__activity", "attendance__volunteer")
            .get(pk=pending.pk)
        )
        if (
            pending.attendance.volunteer_id != volunteer.pk
            or pending.state != PendingCredit.State.OPEN
        ):
            raise InvalidInput(fields={"pending": [_("This proposal is no longer open.")]})
        pending.volunteer_note = (note or "")[:300]
        if not agree:
            pending.state = PendingCredit.State.DISPUTED
        else:
            pending.volunteer_confirmed_at = timezone.now()
            if pending.cosigned_at is not None:
                _credit_pending(pending)
        pending.save()
    return pending


def pending_credit_cosign(
    *, pending: PendingCredit, staff: User, approve: bool = True
) -> PendingCredit:
    """A coordinator co-signs (or refuses) a pending credit of their organisation. Credited at
    once when the volunteer has confirmed. Nobody co-signs their own hours.
    Raises InvalidInput when not open, OwnHours."""
    if pending.attendance.volunteer_id == staff.pk:
        raise _refuse_own(staff=staff, verb="pending_credit.cosign", target=pending, exc=OwnHours())
    with transaction.atomic(durable=True):
        pending = (
            PendingCredit.objects.select_for_update()
            .select_related("attendance__activity", "attendance__volunteer")
            .get(pk=pending.pk)
        )
        if pending.state != PendingCredit.State.OPEN or pending.cosigned_at is not None:
            raise InvalidInput(fields={"pending": [_("This proposal is no longer open.")]})
        if not approve:
            pending.state = PendingCredit.State.REFUSED
        else:
            pending.cosigned_by, pending.cosigned_at = staff, timezone.now()
            if pending.volunteer_confirmed_at is not None:
                _credit_pending(pending)
        pending.save()
        audit_record(actor=staff, verb=f"pending_credit.{pending.state}", target=pending)
    return pending


def pending_credits_expire(*, now: dt.datetime | None = None) -> int:
    """Open proposals past their expiry are closed uncredited."""
    now = now or timezone.now()
    return PendingCredit.objects.filter(state=PendingCredit.State.OPEN, expires_at__lt=now).update(
        state=PendingCredit.State.EXPIRED
    )


def time_parse(raw: str, *, field: str) -> dt.time:
    """ "HH:MM" from a form. Raises InvalidInput naming the field."""
    try:
        return dt.time.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput(fields={field: [_("Enter a time like 13:30.")]}) from None


def moment_parse(raw: str, *, field: str) -> dt.time | dt.datetime:
    """A time from the API: "HH:MM" (Beijing time, on the day being corrected) or, by API.md's
    conventions, an ISO 8601 date and time with its offset (any offset; it is converted). A
    date and time without an offset, or a bare time with one, is ambiguous and refused.
    Raises InvalidInput naming the field."""
    text = str(raw).strip()
    with contextlib.suppress(ValueError):
        clock = dt.time.fromisoformat(text)
        if clock.tzinfo is None:
            return clock
    # (OverflowError: a moment at the edge of the calendar has no Beijing time.)
    with contextlib.suppress(ValueError, OverflowError):
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is not None and moment.utcoffset() is not None:
            return moment.astimezone(local_tz())
    raise InvalidInput(
        fields={
            field: [
                _(
                    "Enter a time like 13:30, or a date and time with its offset like "
                    "2026-12-05T13:30:00+08:00."
                )
            ]
        }
    )
