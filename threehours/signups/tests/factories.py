from __future__ import annotations

from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities import services as activity_services
from threehours.activities.models import Activity
from threehours.activities.tests.factories import activity_data


def published_activity(org, **overrides) -> Activity:
    """A published activity of `org`, built by the real services."""
    activity = activity_services.activity_create(
        org=org, user=org.applicant, data=activity_data(**overrides)
    )
    return activity_services.activity_publish(activity=activity, user=org.applicant)


def volunteers(count: int, *, start: int = 0) -> list[User]:
    from threehours.testing.consent import consent_all

    now = timezone.now()
    people = [
        User.objects.create(
            phone=f"137{start + i:08d}", nickname=f"志愿者{start + i}", phone_bound_at=now
        )
        for i in range(count)
    ]
    consent_all(*people)
    return people


def online_activity(org, **overrides) -> Activity:
    """A published online activity (the form decides it), built by the real services."""
    return published_activity(
        org,
        **{
            "questions": [],
            "form": "online_other",
            "address": "",
            "district": "",
            "lat": None,
            "lng": None,
            "checkin_radius_m": None,
            **overrides,
        },
    )


def local_at(day, hh: int, mm: int = 0, *, day_offset: int = 0):
    """`day` (+ `day_offset` days) at hh:mm, Asia/Shanghai."""
    import datetime as dt

    from threehours.core.timeutil import local_tz

    return dt.datetime.combine(
        day + dt.timedelta(days=day_offset), dt.time(hh, mm), tzinfo=local_tz()
    )


def attended(org, activity: Activity, volunteer: User, *, until: tuple[int, int] = (14, 0)):
    """Register `volunteer` and have staff check them in at 13:00 and out at `until` on the
    activity's first day (the default window 13:00–14:00 credits 1.0 h), by the real services."""
    from threehours.attendance import services as attendance_services
    from threehours.signups import services

    signup = services.signup_create(activity=activity, volunteer=volunteer)
    day = activity.start_date
    attendance_services.attendance_staff_check(
        signup=signup, staff=org.applicant, action="checkin", now=local_at(day, 13)
    )
    if until:
        attendance_services.attendance_staff_check(
            signup=signup, staff=org.applicant, action="checkout", now=local_at(day, *until)
        )
    return signup
