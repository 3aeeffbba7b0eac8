"""Persons with a history, built by the real services."""

from __future__ import annotations

from threehours.activities.models import Activity
from threehours.signups import services as signup_services
from threehours.signups.tests.factories import attended, published_activity


def answers_for(activity: Activity, text: str = "上海") -> dict[int, str]:
    return {q.pk: text for q in activity.questions.all()}


def register(activity: Activity, volunteer) -> object:
    return signup_services.signup_create(
        activity=activity, volunteer=volunteer, answers=answers_for(activity)
    )


def with_history(org, volunteer):
    """`volunteer` attended one activity (1.0 h credited) and is registered for another."""
    past = published_activity(org, title="旧活动", questions=[])
    attended(org, past, volunteer)
    upcoming = published_activity(org, title="新活动")
    signup = register(upcoming, volunteer)
    return past, upcoming, signup
