"""Demo registrations (idempotent): 小李 is registered for the riverside campaign and attended
the finished one; the elderly-visit activity is full with 王阿姨 first on its waiting list; the
parent-child reading day is reviewed by staff and 陈同学 awaits review."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities.models import Activity

from . import services
from .models import Signup


def _activity(title: str) -> Activity | None:
    return Activity.objects.filter(title=title, state=Activity.State.PUBLISHED).first()


LINES = [
    "  Registrations: 小李 is registered (see 我的 → 我参与的项目); 社区独居老人探访 is full"
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
    Activity.objects.filter(pk=reading.pk).update(screening=Activity.Screening.REVIEW)
    reading.refresh_from_db()
    services.signup_create(activity=reading, volunteer=chen)
    # The finished activity closed long ago: its registrations are history, written directly.
    for person in (li, wang, chen):
        Signup.objects.create(activity=cats, volunteer=person, status=Signup.Status.CONFIRMED)
    Activity.objects.filter(pk=cats.pk).update(places_taken=F("places_taken") + 3)
    return LINES
