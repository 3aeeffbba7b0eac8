"""Corrections of a day's times by staff (issue #12 §2), their approval, and no-shows."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.errors import InvalidInput
from threehours.core.numbers import format_hours
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_tz
from threehours.hours import services as hours_services
from threehours.hours.models import LedgerEntry, PendingCredit
from threehours.notifications.services import message_later
from threehours.signups.models import Signup, SignupChild

from .. import rules
from ..errors import (
    CorrectionClosed,
    NotAnAttendedDay,
    OwnCorrection,
    OwnHours,
)
from ..models import Attendance, Correction, Method, NoShow
from .common import _local, _notify_volunteer, _refuse_own, _window


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
    person_id: int | None = None,
) -> Correction:
    """A coordinator sets a day's times (phone died, forgot to check out). Applied at once,
    or — when it raises the day's credit more than CORRECTION_APPROVAL_HOURS over what was
    measured, or is for a day more than CORRECTION_APPROVAL_DAYS back — kept pending until a
    second staff member approves it (correction_approve). Applying adds the difference to what
    the ledger holds for that day as a correction entry with the reason; nothing is deleted.
    The volunteer is told either way. Locks the day's attendance. `person_id`: whose day, on
    a family registration the registrant's (the default) or one of its children's.
    Raises InvalidInput, OwnHours (the staff member is the registrant), NotAnAttendedDay."""
    activity = signup.activity
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Please give a reason; the volunteer will see it.")]
    elif has_payment_link(reason):  # the volunteer reads it (docs/product.md §2)
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
    person = signup.volunteer_id if person_id is None else person_id
    if person != signup.volunteer_id and not (
        SignupChild.objects.filter(signup=signup, child_id=person).exists()
    ):
        errors["person"] = [_("Choose the registrant or one of the children registered with them.")]
    if errors:
        raise InvalidInput(fields=errors)
    if signup.volunteer_id == staff.pk:
        raise _refuse_own(staff=staff, verb="attendance.correct", target=signup, exc=OwnHours())
    attended_day_check(signup=signup, day=day, today=today)
    new_hours = rules.credited_hours(start, end, _window(activity, day), activity.max_hours_per_day)
    with transaction.atomic(durable=True):
        # The registrant's own row: a family registration also holds its children's.
        attendance = (
            Attendance.objects.select_for_update()
            .filter(signup=signup, volunteer_id=person, day=day)
            .first()
        )
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
            volunteer_id=person,
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
                gettext_lazy("A correction of your hours awaits approval"),
                message_later(
                    gettext_lazy(
                        "《%(title)s》 %(day)s: %(start)s–%(end)s, %(hours)s h. Reason: "
                        "%(reason)s. A second staff member of the organisation must approve it "
                        "first."
                    ),
                    _correction_text(correction),
                ),
                person=correction.volunteer,
                person_title=gettext_lazy("A correction of %(name)s's hours awaits approval"),
            )
        else:
            _correction_apply(correction, attendance)
    return correction


def _correction_text(correction: Correction) -> dict[str, object]:
    return {
        "title": correction.activity.title,
        "day": correction.day,
        "start": correction.checkin_at.astimezone(local_tz()).strftime("%H:%M"),
        "end": correction.checkout_at.astimezone(local_tz()).strftime("%H:%M"),
        "hours": format_hours(correction.hours),
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
            attendance = Attendance.objects.select_for_update().get(
                signup=signup, volunteer_id=correction.volunteer_id, day=day
            )
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
            volunteer=correction.volunteer,
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
        gettext_lazy("Your hours were corrected"),
        message_later(
            gettext_lazy(
                "《%(title)s》 %(day)s: %(start)s–%(end)s, %(hours)s h. Reason: %(reason)s"
            ),
            _correction_text(correction),
        ),
        person=correction.volunteer,
        person_title=gettext_lazy("%(name)s's hours were corrected"),
    )
    return attendance


def correction_approve(*, correction: Correction, staff: User) -> Correction:
    """A second staff member of the organisation (or an operator) approves a pending
    correction: it is applied now, on the ledger as it stands. The caller fetched the
    correction with permission. Locks the correction, then the day's attendance.
    Raises CorrectionClosed, OwnCorrection (its author or the volunteer it credits),
    NotAnAttendedDay (the activity was cancelled since)."""
    # Nor the guardian of a child it credits (the registrant of the family).
    if staff.pk in (
        correction.requested_by_id,
        correction.volunteer_id,
        correction.signup.volunteer_id,
    ):
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
            .filter(
                signup=correction.signup, volunteer_id=correction.volunteer_id, day=correction.day
            )
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
    if has_payment_link(reason):  # the volunteer reads it (docs/product.md §2)
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
            gettext_lazy("A correction of your hours was not approved"),
            message_later(
                gettext_lazy(
                    "《%(title)s》 %(day)s: %(hours)s h was not approved. Reason: %(reason)s"
                ),
                {**_correction_text(correction), "reason": reason},
            ),
            person=correction.volunteer,
            person_title=gettext_lazy("A correction of %(name)s's hours was not approved"),
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
    if Attendance.objects.filter(signup=signup, volunteer_id=signup.volunteer_id, day=day).exists():
        raise InvalidInput(fields={"day": [_("This volunteer checked in that day.")]})
    with transaction.atomic(durable=True):
        no_show, _created = NoShow.objects.get_or_create(
            signup=signup, day=day, defaults={"marked_by": staff}
        )
        audit_record(actor=staff, verb="attendance.no_show", target=no_show)
    return no_show


def time_parse(raw: str, *, field: str) -> dt.time:
    """ "HH:MM" from a form. Raises InvalidInput naming the field."""
    try:
        return dt.time.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput(fields={field: [_("Enter a time like 13:30.")]}) from None


def moment_parse(raw: str, *, field: str) -> dt.time | dt.datetime:
    """A time from the API: "HH:MM" (Beijing time, on the day being corrected) or, by docs/api.md's
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
