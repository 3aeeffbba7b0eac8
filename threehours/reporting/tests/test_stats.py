"""Issue #16 §6: the statistics roll-up equals a direct count, and the next roll-up follows
changes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.timeutil import local_today
from threehours.hours.models import LedgerEntry
from threehours.reporting import stats
from threehours.reporting.models import StatMonth, StatPlatformMonth
from threehours.signups import services as signup_services
from threehours.signups.models import Signup
from threehours.signups.tests.factories import attended, published_activity, volunteers

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(org):
    elderly = published_activity(org, questions=[], places=10)
    other = published_activity(org, questions=[], places=10, type="other")
    people = volunteers(4)
    for person in people[:3]:
        attended(org, elderly, person)
    attended(org, other, people[0], until=(13, 30))
    signup_services.signup_create(activity=other, volunteer=people[3])
    return {"org": org, "elderly": elderly, "other": other, "people": people}


def _span():
    today = local_today()
    return today - dt.timedelta(days=400), today + dt.timedelta(days=60)


def test_the_rollup_equals_a_direct_count(seeded):
    call_command("stats_rollup", "--all")
    first, last = _span()
    months = stats.stats_rows(first=first, last=last, group="month")
    assert sum(r.registrations for r in months) == Signup.objects.count() == 5
    assert sum(r.activities for r in months) == Activity.objects.count() == 2
    assert sum(r.hours for r in months) == LedgerEntry.objects.aggregate(s=Sum("hours"))["s"]
    assert sum(r.hours for r in months) == Decimal("3.5")
    assert sum(r.volunteers_new for r in months) == User.objects.filter(is_staff=False).count()
    assert sum(r.organisations for r in months) == 1
    day = seeded["elderly"].start_date
    in_month = next(r for r in months if r.key == f"{day:%Y-%m}")
    assert in_month.volunteers == 3  # distinct across both activities of the month
    by_type = {r.label: r for r in stats.stats_rows(first=first, last=last, group="type")}
    assert by_type["团队活动"].volunteers == 3 and by_type["团队活动"].hours == Decimal("3.0")
    assert by_type["其他"].hours == Decimal("0.5") and by_type["其他"].registrations == 2
    by_province = stats.stats_rows(first=first, last=last, group="province")
    assert [(r.key, r.hours) for r in by_province] == [(seeded["org"].province_id, Decimal("3.5"))]
    top = stats.stats_rows(first=first, last=last, group="organisation", limit=10)
    assert top[0].label == seeded["org"].name and top[0].registrations == 5


def test_the_next_rollup_follows_changes_and_is_idempotent(seeded):
    stats.stats_rollup_all()
    stats.stats_rollup_all()
    first, last = _span()
    before = sum(r.registrations for r in stats.stats_rows(first=first, last=last, group="month"))
    signup_services.signup_create(activity=seeded["elderly"], volunteer=volunteers(1, start=50)[0])
    stats.stats_rollup_recent()
    after = sum(r.registrations for r in stats.stats_rows(first=first, last=last, group="month"))
    assert after == before + 1
    assert StatPlatformMonth.objects.filter(month=local_today().replace(day=1)).count() == 1


def test_months_without_data_are_zero_rows():
    rows = stats.stats_rows(first=dt.date(2026, 1, 1), last=dt.date(2026, 3, 31), group="month")
    assert [r.key for r in rows] == ["2026-01", "2026-02", "2026-03"]
    assert all(r.hours == 0 for r in rows)
    assert not StatMonth.objects.exists()


def test_a_page_read_is_one_query_over_the_rollup(seeded, django_assert_num_queries):
    stats.stats_rollup_all()
    first, last = _span()
    with django_assert_num_queries(1):
        stats.stats_rows(first=first, last=last, group="month")
    with django_assert_num_queries(2):  # the GROUP BY and the labels
        stats.stats_rows(first=first, last=last, group="city")


def test_the_hourly_job_and_the_command_for_one_month(seeded):
    from threehours.reporting.tasks import stats_rollup_task

    stats_rollup_task.call_local()
    this_month = local_today().replace(day=1)
    assert StatPlatformMonth.objects.get(month=this_month).registrations >= 1
    day = seeded["elderly"].start_date
    call_command("stats_rollup", "--month", f"{day:%Y-%m}")
    row = StatPlatformMonth.objects.get(month=day.replace(day=1))
    assert row.hours_tenths == 35 and row.volunteers_active == 3
    with pytest.raises(Exception, match="YYYY-MM"):
        call_command("stats_rollup", "--month", "2026-13")
