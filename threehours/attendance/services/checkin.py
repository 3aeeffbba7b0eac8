"""Check-in and check-out, by the volunteer or by staff (docs/product.md §4, issue #6)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

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
    supports_write_chain,
    update_one,
    write_chain,
)
from threehours.core.errors import DomainError
from threehours.core.metrics import checkin_counted
from threehours.core.numbers import format_hours
from threehours.core.timeutil import local_tz
from threehours.hours import services as hours_services
from threehours.hours.models import LedgerEntry
from threehours.signups.models import Signup

from .. import rules, selectors
from ..errors import (
    AccountClosing,
    ActivityNotOpen,
    AlreadyCheckedIn,
    AlreadyCheckedOut,
    BadCode,
    NotCheckedIn,
    OutsideWindow,
    OwnHours,
)
from ..models import Attendance, Method
from .common import _confirmed_signup, _local, _refuse_own, _window
from .daycode import _guessing_check
from .proof import Proof, _attempt, _Log, _on_site, _record


def _checkin_closed(activity: Activity, day: dt.date) -> OutsideWindow:
    """The refusal, naming when check-in is open (docs/product.md §4): on each activity day until
    that day's check-out time."""
    end = activity.checkout_time.strftime("%H:%M")
    if rules.is_activity_day(activity, day) or activity.start_date == activity.end_date:
        shown = day if rules.is_activity_day(activity, day) else activity.start_date
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
        rules.is_activity_day(activity, yesterday)
        and Attendance.objects.filter(
            signup=signup,
            volunteer_id=signup.volunteer_id,
            day=yesterday,
            checked_out_at__isnull=True,
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
    if rules.is_activity_day(activity, day) or activity.start_date == activity.end_date:
        shown = day if rules.is_activity_day(activity, day) else activity.start_date
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


def _in_one_statement(activity: Activity, staff: User | None) -> bool:
    """The volunteer's own check-in or check-out at an offline activity on PostgreSQL (nearly
    every request of a burst) writes in one autocommitted statement (core.db.write_chain):
    each round trip costs CPU in Python and in PostgreSQL, and a transaction adds two. Online
    activities and staff add writes of their own and keep the transaction; so does SQLite,
    which has no data-modifying WITH (docs/decisions/0007)."""
    return staff is None and not activity.online and supports_write_chain()


def _refused(activity, volunteer, day, action, exc: DomainError, proof, log, actor=None) -> None:
    """Record a refused attempt (its own transaction: the refusal rolled the rest back) and
    alert staff when wrong codes pile up on one activity-day."""
    if not getattr(exc, "recorded", False):
        with transaction.atomic():
            _record(activity, volunteer, day, action, exc.code, proof, log, actor)
    if exc.code == BadCode.code:
        _guessing_check(activity, day)


def _closing_check(volunteer: User) -> None:
    """An account being closed (issue #16 §3) neither checks in nor out: one attribute of the
    row already loaded, no query on the burst's path."""
    if volunteer.closing_at is not None or volunteer.closed_at is not None:
        when = volunteer.closed_at or volunteer.closing_at
        raise AccountClosing(day=timezone.localdate(when).isoformat())


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

    Raises AccountClosing, NotRegistered, OutsideWindow, QrExpired, ProofRequired, BadCode,
    TooManyWrongCodes (429), IdentityFailed, PositionRequired, OutsideRadius, AlreadyCheckedIn."""
    now = _local(now)
    day, log = now.date(), _Log(method=Method.STAFF if staff else "")
    try:
        _closing_check(volunteer)
        # The caller may have read the confirmed registration with its activity (one query).
        signup = signup or _confirmed_signup(activity, volunteer)
        if activity.state == Activity.State.TAKEN_DOWN:  # by an operator (issue #16 §6)
            raise ActivityNotOpen()
        if rules.checkin_state(activity=activity, now=now) != rules.CHECKIN:
            raise _checkin_closed(activity, day)
        if staff is None:
            _on_site(activity, volunteer, signup, day, proof or Proof(), now, log, "checkin")
        return _check_in_write(activity, volunteer, signup, day, now, proof, log, staff)
    except IntegrityError:
        exc: DomainError = _already_checked_in(activity, volunteer, day)
        _refused(activity, volunteer, day, "checkin", exc, proof, log, staff)
        raise exc from None
    except DomainError as exc:
        _refused(activity, volunteer, day, "checkin", exc, proof, log, staff)
        raise


def _check_in_write(activity, volunteer, signup, day, now, proof, log, staff) -> Attendance:
    """Write the check-in and its attempt: in one statement where it can (_in_one_statement),
    else in a transaction with what online activities and staff add. Raises AlreadyCheckedIn,
    or IntegrityError when the day's check-in is on record already."""
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
        # already (attendance_one_per_signup_day).
        attempt = _attempt(activity, volunteer, day, "checkin", "ok", proof, log)
        if not write_chain(Insert(attendance, skip_conflict=True), Insert(attempt)):
            raise _already_checked_in(activity, volunteer, day)
        checkin_counted()  # committed (one statement): /metrics
        return attendance
    with transaction.atomic(durable=True):
        insert_one(attendance)
        if activity.online:
            _online_complete(signup, attendance)
        _record(activity, volunteer, day, "checkin", "ok", proof, log, staff)
        if staff is not None:
            audit_record(actor=staff, verb="attendance.staff_checkin", target=attendance)
    checkin_counted()
    return attendance


def _already_checked_in(activity: Activity, volunteer: User, day: dt.date) -> AlreadyCheckedIn:
    """The refusal of a second check-in on a day, naming the first one's time."""
    first = Attendance.objects.get(signup__activity=activity, volunteer=volunteer, day=day)
    return AlreadyCheckedIn(time=first.checked_in_at.astimezone(local_tz()).strftime("%H:%M"))


def _online_complete(signup: Signup, attendance: Attendance) -> None:
    """Online activities: 0.1 h participation credit, once per registration (not per day)."""
    attendance.checked_out_at = attendance.checked_in_at
    attendance.checkout_method = attendance.checkin_method
    if LedgerEntry.objects.filter(
        attendance__signup=signup, volunteer_id=signup.volunteer_id, entry_type="credit"
    ).exists():
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

    Raises AccountClosing, NotRegistered, OutsideWindow, proof/identity/position errors as check-in,
    NotCheckedIn, AlreadyCheckedOut."""
    now = _local(now)
    day, log = now.date(), _Log(method=Method.STAFF if staff else "")
    try:
        _closing_check(volunteer)
        # The caller may have read the confirmed registration with its activity (one query).
        signup = signup or _confirmed_signup(activity, volunteer)
        # Whether this registrant is checked in is answered below (NotCheckedIn): here, when
        # check-out would be open for someone who is.
        if rules.checkin_state(activity=activity, now=now, checked_in=True) != rules.CHECKOUT:
            raise _checkout_closed(activity, signup, day)
        if staff is None:
            _on_site(activity, volunteer, signup, day, proof or Proof(), now, log, "checkout")
        return _check_out_write(activity, volunteer, signup, day, now, proof, log, staff)
    except DomainError as exc:
        _refused(activity, volunteer, day, "checkout", exc, proof, log, staff)
        raise


_CHECKOUT_FIELDS = ("checked_out_at", "checkout_method", "hours", "updated_at")


def _check_out_write(activity, volunteer, signup, day, now, proof, log, staff) -> Attendance:
    """Write the check-out, its credit and its attempt: in one statement where it can
    (_in_one_statement); else, or when that statement found the attendance changed since it
    was read, under the attendance's row lock. Raises NotCheckedIn, AlreadyCheckedOut."""
    if _in_one_statement(activity, staff):
        attendance = _check_out_in_one_statement(activity, volunteer, signup, day, now, proof, log)
        if attendance is not None:
            return attendance
    return _check_out_locked(activity, volunteer, signup, day, now, proof, log, staff)


def _check_out_locked(activity, volunteer, signup, day, now, proof, log, staff) -> Attendance:
    """Check out in a transaction holding the day's attendance row lock, so a check-out sent
    from several clients at once credits once. Raises NotCheckedIn, AlreadyCheckedOut."""
    with transaction.atomic(durable=True):
        attendance = _CHECKOUT_COLUMNS.get(
            lock=True, signup_id=signup.pk, volunteer_id=volunteer.pk, day=day
        )
        if attendance is None:
            raise NotCheckedIn()
        if attendance.checked_out_at is not None:
            raise AlreadyCheckedOut(
                time=attendance.checked_out_at.astimezone(local_tz()).strftime("%H:%M"),
                hours=format_hours(attendance.hours),
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


def _close(attendance: Attendance, activity: Activity, day: dt.date, now, log: _Log) -> Decimal:
    """Set the check-out on the open `attendance` (not saved) and return the hours it earns:
    the overlap with the day's window, 0.1 h half up, at most the daily maximum."""
    hours = rules.credited_hours(
        attendance.checked_in_at, now, _window(activity, day), activity.max_hours_per_day
    )
    attendance.checked_out_at, attendance.checkout_method, attendance.hours = now, log.method, hours
    return hours


def _check_out_in_one_statement(activity, volunteer, signup, day, now, proof, log):
    """Check out as _check_out_locked does, in one statement without a lock: the day's
    attendance as read (by the caller's registration read, or here), updated only while it is
    still open with the check-in time the hours were computed from, and only then the ledger
    entry, the summary and the attempt (core.db.write_chain). Returns the attendance, or None
    when it wrote nothing: no open attendance was read, or it changed since (a parallel
    check-out won, a coordinator corrected it); the locked path then answers."""
    known = getattr(signup, "attendance_by_day", {})
    attendance = (
        known[day]
        if day in known
        else _CHECKOUT_COLUMNS.get(signup_id=signup.pk, volunteer_id=volunteer.pk, day=day)
    )
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
