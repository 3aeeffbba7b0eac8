"""The activity-day's 4-digit code: its generation, rotation after wrong codes, and
the staff's alerts when codes are being guessed (issue #12 §4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.db import (
    lock_one,
)
from threehours.core.timeutil import local_tz
from threehours.notifications.services import message_later
from threehours.signups.models import Signup

from .. import codes, rules, selectors
from ..errors import (
    BadCode,
)
from ..models import Attempt, DayCode, GuessingAlert

GUESS_WINDOW = dt.timedelta(minutes=10)


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


@dataclass(frozen=True)
class DoorCode:
    """What the door screen shows and the API hands to staff for an activity-day."""

    open: bool  # a day of a published activity: volunteers can check in with it
    code: str  # the 4-digit code, after the day's rotations
    qr_url: str  # the check-in page's absolute URL with a fresh signed token (SITE_URL)
    qr_expires_at: dt.datetime


def door_code_build(*, activity: Activity, day: dt.date) -> DoorCode:
    """The one builder of the door's proofs of presence (the door screen's QR code and code,
    the API's checkin-code): the day's code and a fresh QR token in the check-in page's URL."""
    from django.urls import reverse

    token, expires = codes.qr_token_make(activity.pk, day)
    url = settings.SITE_URL + reverse("attendance:checkin", args=[activity.pk])
    return DoorCode(
        open=activity.state == Activity.State.PUBLISHED and rules.is_activity_day(activity, day),
        code=code_current(activity=activity, day=day),
        qr_url=f"{url}?t={token}",
        qr_expires_at=dt.datetime.fromtimestamp(expires, tz=local_tz()),
    )


def code_current(*, activity: Activity, day: dt.date) -> str:
    """The activity-day's 4-digit code as the door screen shows it now (after rotations)."""
    return codes.day_code(activity.pk, day, _generation(activity, day))


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
                gettext_lazy("Many wrong check-in codes"),
                message_later(
                    gettext_lazy(
                        "%(count)s wrong 4-digit codes for 《%(title)s》 in the last 10 minutes: "
                        "someone may be guessing. Check who is checked in on the attendance "
                        "board."
                    ),
                    {"count": wrong, "title": activity.title},
                ),
            )
    except IntegrityError:
        pass  # staff were already told about this day


def _tell_staff_rotated(activity: Activity, row: DayCode) -> None:
    with transaction.atomic():
        _tell_staff(
            activity,
            gettext_lazy("The day's check-in code was changed"),
            message_later(
                gettext_lazy(
                    "%(count)s wrong 4-digit codes were entered for 《%(title)s》 today, so the "
                    "code was changed. The door screen shows the new code; read that one out "
                    "from now on. Check who is checked in on the attendance board."
                ),
                {"count": settings.CHECKIN_CODE_ROTATE_AFTER, "title": activity.title},
            ),
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
