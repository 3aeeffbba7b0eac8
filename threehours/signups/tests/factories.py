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
    now = timezone.now()
    return [
        User.objects.create(
            phone=f"137{start + i:08d}", nickname=f"志愿者{start + i}", phone_bound_at=now
        )
        for i in range(count)
    ]
