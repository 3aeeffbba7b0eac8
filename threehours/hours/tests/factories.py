"""Hours on the ledger for the integrity report, built by the real services (docs/style.md §6):
check-ins and check-outs, corrections applied, pending, rejected and refused, wrong codes that
rotate the day's code, and check-ins sharing one position."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.attendance import services as attendance
from threehours.attendance.errors import BadCode, OwnHours
from threehours.core.timeutil import local_today, local_tz
from threehours.orgs.models import Membership, Organisation
from threehours.orgs.tests.factories import applicant, approved_org
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import published_activity, volunteers

SITE = {"lat": Decimal("31.188000"), "lng": Decimal("121.437000"), "coord": "gcj02"}


@dataclass
class IntegrityStory:
    day: dt.date  # the activities' day
    sunshine: Organisation  # corrects a lot, and its admin tried to correct their own hours
    river: Organisation  # lowered one volunteer's hours
    books: Organisation  # nothing but check-ins
    sunshine_activity: Activity
    second_staff: User


def _at(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hh, mm), tzinfo=local_tz())


def _proof(activity: Activity, day: dt.date, **position) -> attendance.Proof:
    code = attendance.code_current(activity=activity, day=day)
    return attendance.Proof(code=code, **(position or SITE))


def _near(lat: str, lng: str, accuracy: int) -> dict:
    position = {"lat": Decimal(lat), "lng": Decimal(lng), "coord": "gcj02"}
    return {**position, "accuracy": Decimal(accuracy)}


def integrity_story(*, operator: User, days_ago: int = 10) -> IntegrityStory:
    """Three organisations whose activities took place `days_ago` days before today, 09:00–
    17:00 (Asia/Shanghai). 阳光志愿者协会: three check-ins (two from the very same position,
    no accuracy), four wrong codes that rotate the day's code once, a correction of +2.0 h
    applied, one of 8.0 h pending, one rejected, and its admin's refused correction of their
    own hours; 4 × 3 + 2 = 14.0 h, 2.0 h raised by corrections (14.3 %). 河道守护队: two
    check-ins, one lowered by 3.5 h (4.5 h). 晨光读书会: one check-in (4.0 h)."""
    created = timezone.now() - dt.timedelta(days=days_ago + 10)
    with time_machine.travel(created, tick=False):
        sunshine = approved_org(operator=operator)
        river = approved_org(
            operator=operator, user=applicant("river@ngo.example.cn"), name="河道守护队"
        )
        books = approved_org(
            operator=operator, user=applicant("books@ngo.example.cn"), name="晨光读书会"
        )
        second = User.objects.create_user(
            email="coord@ngo.example.cn", password="Second-Staff-9", email_verified_at=created
        )
        Membership.objects.create(
            organisation=sunshine, user=second, role=Membership.Role.COORDINATOR
        )
        hours = {"questions": [], "places": 50, "checkin_time": "09:00", "checkout_time": "17:00"}
        activities = [
            published_activity(sunshine, **hours),
            published_activity(river, title="河道清洁行动", **hours),
            published_activity(books, title="社区图书角整理", **hours),
        ]
        people = volunteers(8, start=500)
        groups = [people[:5], people[5:7], people[7:]]
        for activity, group in zip(activities, groups, strict=True):
            for person in group:
                signup_services.signup_create(activity=activity, volunteer=person)
        admin = sunshine.applicant
        admin.phone, admin.phone_bound_at = "13700000999", created
        admin.save(update_fields=["phone", "phone_bound_at"])
        own = signup_services.signup_create(activity=activities[0], volunteer=admin)
    day = activities[0].start_date
    a, b, c = activities

    with time_machine.travel(_at(day, 9, 5), tick=False):
        positions = [
            SITE,
            SITE,
            _near("31.188230", "121.436880", 18),
            _near("31.187950", "121.437140", 12),
            _near("31.188310", "121.437020", 25),
            _near("31.188120", "121.436910", 9),
        ]
        checked = [(a, people[0]), (a, people[1]), (a, people[2])]
        checked += [(b, people[5]), (b, people[6]), (c, people[7])]
        for (activity, person), position in zip(checked, positions, strict=True):
            attendance.attendance_check_in(
                activity=activity, volunteer=person, proof=_proof(activity, day, **position)
            )
        with override_settings(CHECKIN_CODE_ROTATE_AFTER=4):
            right = attendance.code_current(activity=a, day=day)
            for guess in range(4):
                wrong = f"{(int(right) + 1 + guess) % 10000:04d}"
                with pytest.raises(BadCode):
                    attendance.attendance_check_in(
                        activity=a, volunteer=people[3], proof=attendance.Proof(code=wrong, **SITE)
                    )

    with time_machine.travel(_at(day, 13, 5), tick=False):
        for activity, person in checked:
            attendance.attendance_check_out(
                activity=activity, volunteer=person, proof=_proof(activity, day)
            )

    with time_machine.travel(_at(day, 17, 30), tick=False):
        signup = {s.volunteer_id: s for s in a.signups.all()}
        attendance.attendance_correct(
            signup=signup[people[3].pk],
            day=day,
            checkin_at=dt.time(9),
            checkout_at=dt.time(11),
            staff=admin,
            reason="手机没电，现场签到表为证",
        )
        attendance.attendance_correct(
            signup=signup[people[4].pk],
            day=day,
            checkin_at=dt.time(9),
            checkout_at=dt.time(17),
            staff=admin,
            reason="全天在场",
        )
        doubtful = attendance.attendance_correct(
            signup=signup[people[2].pk],
            day=day,
            checkin_at=dt.time(9),
            checkout_at=dt.time(17),
            staff=admin,
            reason="忘记签到",
        )
        attendance.correction_reject(
            correction=doubtful, staff=second, reason="签到表上没有上午的记录"
        )
        with pytest.raises(OwnHours):
            attendance.attendance_correct(
                signup=own,
                day=day,
                checkin_at=dt.time(9),
                checkout_at=dt.time(17),
                staff=admin,
                reason="我自己",
            )
        lowered = b.signups.get(volunteer=people[6])
        attendance.attendance_correct(
            signup=lowered,
            day=day,
            checkin_at=dt.time(9, 5),
            checkout_at=dt.time(9, 35),
            staff=river.applicant,
            reason="中途离开",
        )
    assert day == local_today() - dt.timedelta(days=days_ago)
    return IntegrityStory(
        day=day,
        sunshine=sunshine,
        river=river,
        books=books,
        sunshine_activity=a,
        second_staff=second,
    )
