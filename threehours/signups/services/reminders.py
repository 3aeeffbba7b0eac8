"""Reminders the evening before and, for afternoon activities, that morning."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.activities.models import Activity

from ..models import Signup
from .notify import _when_where

# -- reminders -------------------------------------------------------------------------------

REMINDER_HOUR = 18  # local time, the evening before


# The same-morning reminder (issue 5 §6, "your choice"): only activities whose check-in opens
# at noon or later get one, at 08:00 (Asia/Shanghai) of their first day. A morning activity is
# too close for a reminder that same morning to help; an afternoon one is far enough away to be
# forgotten since the evening before. Sent until noon, so a registration made during the
# morning still gets it.
MORNING_REMINDER_HOUR = 8


MORNING_REMINDER_UNTIL = dt.time(12)


AFTERNOON_FROM = dt.time(12)


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Remind confirmed registrants of their activity's time, place and contact:
    from 18:00 (Asia/Shanghai) on, for activities that start tomorrow ("the evening before");
    from 08:00 until noon, for activities that start today with a check-in time of 12:00 or
    later ("the same morning"). Once per registration, day and kind: a Reminder row is inserted
    first and only the job that inserted it sends. Skips cancelled (and any other non-confirmed)
    registrations and activities that are no longer published. Returns how many were sent."""
    from threehours.core.timeutil import local_tz

    now = (now or timezone.now()).astimezone(local_tz())
    sent = 0
    if now.hour >= REMINDER_HOUR:
        tomorrow = now.date() + dt.timedelta(days=1)
        for signup in _reminders_due(day=tomorrow, kind="evening"):
            sent += _reminder_send(signup=signup, day=tomorrow, kind="evening")
    if now.hour >= MORNING_REMINDER_HOUR and now.time() < MORNING_REMINDER_UNTIL:
        today = now.date()
        due = _reminders_due(day=today, kind="morning").filter(
            activity__checkin_time__gte=AFTERNOON_FROM
        )
        for signup in due:
            sent += _reminder_send(signup=signup, day=today, kind="morning")
    return sent


def _reminders_due(*, day: dt.date, kind: str):
    from django.db.models import Exists, OuterRef

    from ..models import Reminder

    return (
        Signup.objects.filter(
            status=Signup.Status.CONFIRMED,
            activity__state=Activity.State.PUBLISHED,
            activity__start_date=day,
        )
        .exclude(Exists(Reminder.objects.filter(signup=OuterRef("pk"), day=day, kind=kind)))
        .select_related("activity", "volunteer")
    )


def _reminder_send(*, signup: Signup, day: dt.date, kind: str) -> bool:
    from django.urls import reverse

    from threehours.notifications.services import notify, recipient_language

    from ..models import Reminder

    activity = signup.activity
    with recipient_language(signup.volunteer):
        if kind == "morning":
            title = _("Reminder: %(title)s is today") % {"title": activity.title}
        else:
            title = _("Reminder: %(title)s is tomorrow") % {"title": activity.title}
        body = _when_where(activity)
    try:
        with transaction.atomic():
            Reminder.objects.create(signup=signup, day=day, kind=kind)
            notify(
                user=signup.volunteer,
                title=title,
                body=body,
                link=reverse("activities:detail", args=[activity.pk]),
                sms=True,
            )
    except IntegrityError:
        return False  # another run sent it
    return True
