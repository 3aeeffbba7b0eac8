"""Creating, editing and copying an activity; registrants hear of changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today
from threehours.orgs.models import Organisation

from ..errors import ActivityWrongState
from ..models import Activity, Question
from ..search import search_text_for
from .clean import activity_clean
from .uploads import _cover_duplicate


def _write(activity: Activity, clean: dict[str, Any]) -> Activity:
    extra, questions = clean.pop("extra"), clean.pop("questions")
    for name, value in clean.items():
        setattr(activity, name, value)
    activity.search_text = search_text_for(
        title=activity.title, org_name=activity.organisation.name
    )
    activity.save()
    activity.extra_attributes.set(extra)
    activity.questions.all().delete()
    Question.objects.bulk_create(
        Question(activity=activity, position=i, **q) for i, q in enumerate(questions)
    )
    return activity


@transaction.atomic(durable=True)
def activity_create(*, org: Organisation, user: User, data: dict[str, Any]) -> Activity:
    """Save a new draft. Raises InvalidInput."""
    org = lock_one(Organisation, pk=org.pk)
    clean = activity_clean(data=data, org=org)
    activity = _write(Activity(organisation=org, created_by=user), clean)
    audit_record(actor=user, verb="activity.created", target=activity)
    return activity


@transaction.atomic(durable=True)
def activity_update(*, activity: Activity, user: User, data: dict[str, Any]) -> Activity:
    """Change an activity that is not cancelled; `data` is the whole form. Locks the activity
    (so that the check-in freeze is read under the lock). Raises ActivityWrongState,
    InvalidInput."""
    activity = lock_one(Activity, pk=activity.pk)
    if activity.state == Activity.State.CANCELLED:
        raise ActivityWrongState(state=activity.get_state_display())
    clean = activity_clean(data=data, org=activity.organisation, current=activity)
    if clean["places"] < activity.places_taken:
        raise InvalidInput(
            fields={
                "places": [
                    _("%(n)s places are already taken; places cannot be fewer.")
                    % {"n": activity.places_taken}
                ]
            }
        )
    before = activity_plan(activity)
    activity = _write(activity, clean)
    audit_record(actor=user, verb="activity.updated", target=activity)
    after = activity_plan(activity)
    if activity.state == Activity.State.PUBLISHED and before != after:
        # The words are chosen per registrant, in their language, by the notifying job.
        _registrants_notify_later(activity, "activity_changed", {"before": before, "after": after})
    return activity


def activity_plan(activity: Activity) -> dict[str, str]:
    """What registrants plan their day around (dates, daily times, place), in no language:
    compare two with `!=`, describe the difference with activity_changes_describe()."""
    return {
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "daily": f"{activity.checkin_time:%H:%M}–{activity.checkout_time:%H:%M}",
        "where": "" if activity.online else f"{activity.address} ({activity.lat}, {activity.lng})",
    }


def activity_changes_describe(*, before: dict[str, str], after: dict[str, str]) -> str:
    """What changed between two activity_plan()s, in the active language."""
    from django.utils.formats import date_format

    def words(plan: dict[str, str]) -> dict[str, str]:
        start, end = (dt.date.fromisoformat(plan[k]) for k in ("start_date", "end_date"))
        return {
            _("Dates"): f"{date_format(start, 'DATE_FORMAT')} – {date_format(end, 'DATE_FORMAT')}",
            _("Daily"): plan["daily"],
            _("Where"): plan["where"] or _("Online"),
        }

    old, new = words(before), words(after)
    return "；".join(f"{k}：{old[k]} → {new[k]}" for k in new if old[k] != new[k])


def _registrants_notify_later(activity: Activity, event: str, changes: dict | None = None) -> None:
    """After commit, tell the activity's registrants (a job: there may be hundreds)."""
    from threehours.activities.signals import activity_changed_for_registrants

    activity_changed_for_registrants.send(
        sender=Activity, activity=activity, event=event, changes=changes
    )


@transaction.atomic(durable=True)
def activity_copy(*, activity: Activity, user: User) -> Activity:
    """One-click copy ("复制"): a new draft with everything but the dates, which start from the
    next week so that the copy is valid and obviously needs dates. The cover is copied into a
    file of its own."""
    copy = Activity.objects.get(pk=activity.pk)
    source_pk, span = copy.pk, copy.end_date - copy.start_date
    extra = list(copy.extra_attributes.all())
    questions = list(copy.questions.all())
    start = max(local_today() + dt.timedelta(days=7), copy.start_date)
    copy.pk = None  # saving inserts a new row with every other field as it was
    copy.state, copy.published_at, copy.cancel_reason, copy.created_by = (
        Activity.State.DRAFT,
        None,
        "",
        user,
    )
    copy.start_date, copy.end_date = start, start + span
    copy.registration_deadline = copy.end_date
    if copy.cover:
        _cover_duplicate(copy)
    copy.save()
    copy.extra_attributes.set(extra)
    Question.objects.bulk_create(
        Question(
            activity=copy,
            position=q.position,
            text=q.text,
            kind=q.kind,
            choices=q.choices,
            required=q.required,
        )
        for q in questions
    )
    audit_record(actor=user, verb="activity.copied", target=copy, data={"from": source_pk})
    return copy
