"""Demo attendance (idempotent): the three demo volunteers attended the finished activity, so
"我的公益时" shows hours; staff checked them in and out (method `staff`, audited)."""

from __future__ import annotations

import datetime as dt

from threehours.activities.models import Activity
from threehours.core.timeutil import local_tz
from threehours.signups.models import Signup

from . import services
from .models import Attendance


def load() -> list[str]:
    activity = Activity.objects.filter(title="流浪猫救助站清洁日").first()
    if activity is None or Attendance.objects.filter(activity=activity).exists():
        return []
    staff = activity.organisation.applicant
    day = activity.start_date

    def at(t: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, t, tzinfo=local_tz())

    for signup in Signup.objects.filter(activity=activity, status=Signup.Status.CONFIRMED):
        services.attendance_staff_check(
            signup=signup, staff=staff, action="checkin", now=at(activity.checkin_time)
        )
        services.attendance_staff_check(
            signup=signup, staff=staff, action="checkout", now=at(activity.checkout_time)
        )
    return []
