"""Helpers the parts of attendance's services share."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from threehours.accounts.models import User
from threehours.activities.models import Activity
from threehours.core.audit import audit_record
from threehours.core.errors import DomainError
from threehours.core.timeutil import local_tz
from threehours.signups.models import Signup

from .. import rules
from ..errors import (
    NotRegistered,
)


def _local(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()).astimezone(local_tz())


def _confirmed_signup(activity: Activity, volunteer: User) -> Signup:
    signup = Signup.objects.filter(
        activity=activity, volunteer=volunteer, status=Signup.Status.CONFIRMED
    ).first()
    if signup is None:
        raise NotRegistered()
    return signup


def _window(activity: Activity, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return rules.window_bounds(day, activity.checkin_time, activity.checkout_time, local_tz())


def _refuse_own(*, staff: User, verb: str, target, exc: DomainError) -> DomainError:
    """Put a refused self-related action on record (the integrity report counts them), in a
    transaction of its own, and return the refusal to raise."""
    with transaction.atomic():
        audit_record(
            actor=staff, verb="integrity.own_refused", target=target, data={"action": verb}
        )
    return exc


def _notify_volunteer(
    user: User, title: str, body: str, *, person: User | None = None, person_title: str = ""
) -> None:
    """Tell `user` about their hours; when they concern `person`, a child of the family whose
    registration it is (issue #14), the guardian reads `person_title` (with `%(name)s`, the
    child's name) and is sent to the child's hours."""
    from django.urls import reverse

    from threehours.notifications.services import message_later, notify

    link = reverse("reporting:my-hours")
    if person is not None and person.pk != user.pk:
        title = message_later(person_title, {"name": person.real_name})
        link = reverse("reporting:child-hours", args=[person.pk])
    notify(user=user, title=title, body=body, link=link, sms=False)
