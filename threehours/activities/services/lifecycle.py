"""Publishing and cancelling an activity."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.qrscan import has_payment_link
from threehours.core.timeutil import local_today

from ..errors import ActivityWrongState, OrgCannotPublish
from ..models import Activity
from .clean import _payment_link_message
from .writes import _registrants_notify_later


@transaction.atomic(durable=True)
def activity_publish(*, activity: Activity, user: User) -> Activity:
    """Publish a draft whose first day has not passed. Raises OrgCannotPublish,
    ActivityWrongState, InvalidInput."""
    activity = lock_one(Activity, pk=activity.pk)
    org = activity.organisation
    today = local_today()
    if not org.can_publish_on(today):
        raise OrgCannotPublish()
    if activity.state != Activity.State.DRAFT:
        raise ActivityWrongState(state=activity.get_state_display())
    errors: dict[str, list[str]] = {}
    # A draft saved days ago may have a first day that has passed since (issue #12).
    if activity.start_date < today:
        errors["start_date"] = [_("The first day has passed: choose later dates.")]
    if activity.registration_deadline < today:
        errors["registration_deadline"] = [
            _("Registration would already be over: choose later dates.")
        ]
    if errors:
        raise InvalidInput(fields=errors)
    activity.state, activity.published_at = Activity.State.PUBLISHED, timezone.now()
    activity.save(update_fields=["state", "published_at", "updated_at"])
    audit_record(actor=user, verb="activity.published", target=activity)
    return activity


@transaction.atomic(durable=True)
def activity_cancel(*, activity: Activity, user: User, reason: str) -> Activity:
    """Cancel with a reason; its registrants are told (after commit, by a job).
    Raises ActivityWrongState, InvalidInput."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Please give a reason.")]})
    if has_payment_link(reason):  # registrants read it in their inbox
        raise InvalidInput(fields={"reason": [_payment_link_message()]})
    activity = lock_one(Activity, pk=activity.pk)
    if activity.state == Activity.State.CANCELLED:
        raise ActivityWrongState(state=activity.get_state_display())
    was_published = activity.state == Activity.State.PUBLISHED
    activity.state, activity.cancel_reason = Activity.State.CANCELLED, reason
    activity.save(update_fields=["state", "cancel_reason", "updated_at"])
    audit_record(actor=user, verb="activity.cancelled", target=activity, data={"reason": reason})
    if was_published:
        _registrants_notify_later(activity, "activity_cancelled")
    return activity
