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
    was_published = activity.state in (Activity.State.PUBLISHED, Activity.State.TAKEN_DOWN)
    activity.state, activity.cancel_reason = Activity.State.CANCELLED, reason
    activity.save(update_fields=["state", "cancel_reason", "updated_at"])
    audit_record(actor=user, verb="activity.cancelled", target=activity, data={"reason": reason})
    if was_published:
        _registrants_notify_later(activity, "activity_cancelled")
    return activity


# --- taken down by an operator (issue #16 §6) -------------------------------------------------
# Only a published activity can be taken down, and only a taken-down one restored (to
# published). The reason (2–200 characters) is shown to the organisation's staff and sent to
# registrants; registrations stay as they are, so a restore needs no re-registration. Taken
# down, it is invisible to everyone but its organisation (ActivityQuerySet.published() and the
# state checks of registration and check-in only accept "published").

TAKE_DOWN_REASON_MIN, TAKE_DOWN_REASON_MAX = 2, 200


def _operator_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not TAKE_DOWN_REASON_MIN <= len(reason) <= TAKE_DOWN_REASON_MAX:
        raise InvalidInput(
            fields={
                "reason": [
                    _("Please give a reason of %(min)s to %(max)s characters.")
                    % {"min": TAKE_DOWN_REASON_MIN, "max": TAKE_DOWN_REASON_MAX}
                ]
            }
        )
    return reason


def _staff_notify(activity: Activity, title, body, reason: str) -> None:
    """Tell every staff member of the activity's organisation, each in their language."""
    from django.urls import reverse

    from threehours.notifications.services import message_later, notify
    from threehours.orgs.models import Membership

    link = reverse("console:activity-detail", args=[activity.organisation_id, activity.pk])
    params = {"title": activity.title, "reason": reason}
    staff = Membership.objects.filter(organisation_id=activity.organisation_id).select_related(
        "user"
    )
    for membership in staff:
        if membership.user.is_active:
            notify(
                user=membership.user,
                title=title,
                body=message_later(body, params),
                link=link,
            )


@transaction.atomic(durable=True)
def activity_take_down(*, activity: Activity, reason: str, actor: User) -> Activity:
    """An operator takes a published activity down with a reason; its registrants and the
    organisation's staff are told, audited. Locks the activity. Raises InvalidInput (reason),
    ActivityWrongState (not published)."""
    from django.utils.translation import gettext_lazy

    reason = _operator_reason(reason)
    activity = lock_one(Activity, pk=activity.pk)
    if activity.state != Activity.State.PUBLISHED:
        raise ActivityWrongState(state=activity.get_state_display())
    activity.state = Activity.State.TAKEN_DOWN
    activity.taken_down_reason, activity.taken_down_at = reason, timezone.now()
    activity.save(update_fields=["state", "taken_down_reason", "taken_down_at", "updated_at"])
    audit_record(actor=actor, verb="activity.taken_down", target=activity, data={"reason": reason})
    _registrants_notify_later(activity, "activity_taken_down")
    _staff_notify(
        activity,
        gettext_lazy("Activity taken down by the platform"),
        gettext_lazy("《%(title)s》 was taken down by the platform. Reason: %(reason)s"),
        reason,
    )
    return activity


@transaction.atomic(durable=True)
def activity_restore(*, activity: Activity, reason: str, actor: User) -> Activity:
    """An operator restores a taken-down activity: published again, discoverable; registrants
    and staff told, audited. Locks the activity. Raises InvalidInput (reason),
    ActivityWrongState (not taken down)."""
    from django.utils.translation import gettext_lazy

    reason = _operator_reason(reason)
    activity = lock_one(Activity, pk=activity.pk)
    if activity.state != Activity.State.TAKEN_DOWN:
        raise ActivityWrongState(state=activity.get_state_display())
    before = activity.taken_down_reason
    activity.state = Activity.State.PUBLISHED
    activity.taken_down_reason, activity.taken_down_at = "", None
    activity.save(update_fields=["state", "taken_down_reason", "taken_down_at", "updated_at"])
    audit_record(
        actor=actor,
        verb="activity.restored",
        target=activity,
        data={"reason": reason, "taken_down_reason": before},
    )
    _registrants_notify_later(activity, "activity_restored")
    _staff_notify(
        activity,
        gettext_lazy("Activity restored by the platform"),
        gettext_lazy("《%(title)s》 is published again. Reason: %(reason)s"),
        reason,
    )
    return activity
