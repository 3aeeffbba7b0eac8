"""Forgotten check-outs: the proposed credit the volunteer confirms and staff co-sign."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.errors import InvalidInput
from threehours.core.numbers import format_hours
from threehours.hours import services as hours_services
from threehours.hours.models import LedgerEntry, PendingCredit
from threehours.notifications.services import message_later

from .. import rules
from ..errors import (
    OwnHours,
)
from ..models import Attendance, Method
from .common import _local, _notify_volunteer, _refuse_own, _window

# -- forgotten check-out ---------------------------------------------------------------------


def pending_credits_create_due(*, now: dt.datetime | None = None) -> int:
    """After an activity day has ended (midnight), every offline attendance without check-out
    gets a pending credit: its check-in time to the end of the day's window. The volunteer is
    asked to confirm. Returns how many were created."""
    now = _local(now)
    created = 0
    due = (
        Attendance.objects.filter(
            checked_out_at__isnull=True,
            day__lt=now.date(),
            pending_credit__isnull=True,
            # A child cannot confirm a proposal (nobody logs in as a child): a child's
            # forgotten check-out is for staff to correct.
            volunteer_id=F("signup__volunteer_id"),
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
                    gettext_lazy("You forgot to check out"),
                    message_later(
                        gettext_lazy(
                            "《%(title)s》 %(day)s: we propose %(hours)s h (from your check-in to "
                            "the end of the day's time). Confirm or dispute it under My hours; a "
                            "coordinator co-signs it."
                        ),
                        {
                            "title": activity.title,
                            "day": attendance.day,
                            "hours": format_hours(hours),
                        },
                    ),
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
