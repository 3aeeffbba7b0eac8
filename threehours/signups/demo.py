"""Demo registrations (idempotent): 小李 is registered for the riverside campaign and attended
the finished one, and registered the parent-child reading day with two children (和孩子一起报名);
the elderly-visit activity is full with 王阿姨 first on its waiting list; the reading day is
then reviewed by staff and 陈同学 awaits review."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from threehours.accounts.identity import id_check_character
from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.timeutil import local_today

from . import services
from .models import Signup


def _id_number(born: dt.date, serial: int) -> str:
    first17 = f"310104{born:%Y%m%d}{serial:03d}"
    return first17 + id_check_character(first17)


def _born(years: int, days: int) -> dt.date:
    today = local_today()
    return today.replace(year=today.year - years, month=1, day=1) + dt.timedelta(days=days)


def _family_of(li: User) -> list[User]:
    """小李 as a guardian (a real name with an adult's ID number) with two children, added by
    the family service with the consent; the ones already there are kept."""
    from threehours.accounts.services import real_name_set
    from threehours.family import rules as family_rules
    from threehours.family.selectors import children_of
    from threehours.family.services import child_add

    if not family_rules.guardian_age_ok(li.birth_date, local_today()):
        li = real_name_set(
            user=li, real_name="李晓明", id_number=_id_number(_born(35, 40), 517), consent=True
        )
    children = list(children_of(guardian=li))
    for name, years, serial in (("李小宝", 8, 523), ("李二宝", 5, 528)):
        if len(children) >= 2:
            break
        children.append(
            child_add(
                guardian=li,
                name=name,
                id_number=_id_number(_born(years, 100), serial),
                consent=True,
            )
        )
    return children[:2]


def _activity(title: str) -> Activity | None:
    return Activity.objects.filter(title=title, state=Activity.State.PUBLISHED).first()


LINES = [
    "  Registrations: 小李 is registered (see 我的 → 我参与的项目), and with two children"
    " (李小宝, 李二宝) for the parent-child reading day; 社区独居老人探访 is full"
    " with 王阿姨 waiting; 陈同学 awaits review for the parent-child reading day."
]


def load() -> list[str]:
    if Signup.objects.exists():
        return LINES
    li = User.objects.filter(phone="13800000001").first()
    wang = User.objects.filter(phone="13800000002").first()
    chen = User.objects.filter(phone="13800000003").first()
    riverside = _activity("徐汇滨江垃圾分类宣传")
    visit = _activity("社区独居老人探访")
    reading = _activity("亲子绘本共读：图书馆志愿日")
    cats = _activity("流浪猫救助站清洁日")
    if not all((li, wang, chen, riverside, visit, reading, cats)):
        return []
    services.signup_create(activity=riverside, volunteer=li)
    now = timezone.now()
    fillers = [
        User.objects.get_or_create(
            phone=f"1390000{i:04d}", defaults={"nickname": f"志愿者{i}", "phone_bound_at": now}
        )[0]
        for i in range(1, visit.places + 1)
    ]
    for person in fillers:
        services.signup_create(activity=visit, volunteer=person)
    visit.refresh_from_db()
    services.signup_create(activity=visit, volunteer=wang, join_waitlist=True)
    # 和孩子一起报名 before the reading day switches to staff review: the family is confirmed.
    Activity.objects.filter(pk=reading.pk).update(family=True)
    reading.refresh_from_db()
    services.signup_create(
        activity=reading,
        volunteer=li,
        children=[child.pk for child in _family_of(li)],
        commitment_accepted=True,
    )
    reading.refresh_from_db()
    Activity.objects.filter(pk=reading.pk).update(screening=Activity.Screening.REVIEW)
    reading.refresh_from_db()
    services.signup_create(activity=reading, volunteer=chen)
    # The finished activity closed long ago: its registrations are history, written directly.
    for person in (li, wang, chen):
        Signup.objects.create(activity=cats, volunteer=person, status=Signup.Status.CONFIRMED)
    Activity.objects.filter(pk=cats.pk).update(places_taken=F("places_taken") + 3)
    return LINES
