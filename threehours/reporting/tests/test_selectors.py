"""The staff's registrant list with each registrant's platform history (issue 5 §4), built
through the real registration, attendance and hours services."""

import datetime as dt
from decimal import Decimal

import pytest

from threehours.attendance import services as attendance_services
from threehours.core.timeutil import local_today
from threehours.reporting import selectors
from threehours.signups import services
from threehours.signups.tests.factories import (
    attended,
    local_at,
    online_activity,
    published_activity,
    volunteers,
)

pytestmark = pytest.mark.django_db


def _past_record(org, person):
    """`person` attended two offline activities (1.0 h each; the second on both its days), one
    online activity (0.1 h online credit), was absent at a fourth and removed from a fifth."""
    first = published_activity(org, questions=[], title="探访一")
    start = local_today() + dt.timedelta(days=10)
    second = published_activity(
        org,
        questions=[],
        title="探访二",
        start_date=start.isoformat(),
        end_date=(start + dt.timedelta(days=1)).isoformat(),
    )
    attended(org, first, person)
    signup = attended(org, second, person)
    # A second day's check-in of the same activity does not count it twice.
    attendance_services.attendance_staff_check(
        signup=signup, staff=org.applicant, action="checkin", now=local_at(start, 13, day_offset=1)
    )
    online = online_activity(org, title="线上课")
    attended(org, online, person, until=())  # online: checking in completes it
    missed = published_activity(org, questions=[], title="缺席")
    absent = services.signup_create(activity=missed, volunteer=person)
    attendance_services.no_show_mark(
        signup=absent,
        day=missed.start_date,
        staff=org.applicant,
        today=missed.start_date + dt.timedelta(days=1),
    )
    left = published_activity(org, questions=[], title="被移出")
    services.signup_remove(
        signup=services.signup_create(activity=left, volunteer=person),
        staff=org.applicant,
        reason="未按要求到场",
    )


def test_history_counts_hours_attendance_no_shows_and_removals(org):
    veteran, newcomer = volunteers(2)
    _past_record(org, veteran)
    activity = published_activity(org, questions=[], title="新活动")
    services.signup_create(activity=activity, volunteer=veteran)
    services.signup_create(activity=activity, volunteer=newcomer)
    later = activity.start_date + dt.timedelta(days=5)
    rows = selectors.registrants_with_history(activity=activity, today=later)
    history = {row.volunteer_id: row.history for row in rows}
    h = history[veteran.pk]
    assert (h.service_hours, h.online_hours, h.total_hours) == (
        Decimal("2.0"),
        Decimal("0.1"),
        Decimal("2.1"),
    )
    assert h.activities_attended == 3  # two offline (one of them on two days), one online
    assert h.no_shows == 1
    assert h.times_removed == 1
    # Confirmed registrations of ended activities: the three attended, the one missed, and
    # this one (it ended before `later`); not the one they were removed from.
    assert h.past_activities == 5
    assert history[newcomer.pk] == selectors.History(past_activities=1)


def test_history_costs_the_same_few_queries_for_any_number_of_registrants(
    org, django_assert_num_queries
):
    activity = published_activity(org, questions=[], places=50)
    people = volunteers(12)
    for person in people[:2]:
        _past_record(org, person)
    for person in people:
        services.signup_create(activity=activity, volunteer=person)
    with django_assert_num_queries(5):
        rows = selectors.registrants_with_history(activity=activity, today=activity.start_date)
        assert len(rows) == 12 and rows[0].history.total_hours == Decimal("2.1")
    empty = published_activity(org, questions=[])
    with django_assert_num_queries(1):
        assert selectors.registrants_with_history(activity=empty, today=empty.start_date) == []
