"""What volunteers are told about their registrations, by message and SMS."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from threehours.activities.models import Activity

from ..models import Signup


def _notify(signup: Signup, event: str) -> None:
    """Queue the volunteer's notice in the caller's transaction (it exists only if that commits;
    SMS / e-mail leave after commit)."""
    signup_notify(signup=signup, event=event)


# -- notifications ---------------------------------------------------------------------------

_EVENT_TITLES = {
    "confirmed": gettext_lazy("Registration confirmed"),
    "pending": gettext_lazy("Registration received, awaiting review"),
    "waiting": gettext_lazy("You are on the waiting list"),
    "promoted": gettext_lazy("A place is yours"),
    "rejected": gettext_lazy("Registration not accepted"),
    "removed": gettext_lazy("You were removed from an activity"),
}


# Events that also go out by SMS: the ones that change whether the volunteer should come.
_SMS_EVENTS = {"promoted", "rejected", "removed", "activity_changed", "activity_cancelled"}


def _when_where(activity: Activity) -> str:
    from django.utils.formats import date_format

    days = (
        date_format(activity.start_date, "DATE_FORMAT")
        if activity.start_date == activity.end_date
        else f"{date_format(activity.start_date, 'DATE_FORMAT')} – "
        f"{date_format(activity.end_date, 'DATE_FORMAT')}"
    )
    place = _("Online") if activity.online else activity.address
    return _("%(days)s, %(start)s–%(end)s, %(place)s. Contact: %(contact)s") % {
        "days": days,
        "start": activity.checkin_time.strftime("%H:%M"),
        "end": activity.checkout_time.strftime("%H:%M"),
        "place": place,
        "contact": f"{activity.contact_name} {activity.contact_phone}",
    }


def signup_notify(*, signup: Signup, event: str) -> None:
    """Tell the volunteer what happened to their registration: in-app; e-mail where verified;
    SMS for the events that change whether they should come. Written in the volunteer's
    language, not the acting staff member's. Call inside the transaction."""
    from django.urls import reverse

    from threehours.notifications.services import notify, recipient_language

    activity = signup.activity
    with recipient_language(signup.volunteer):
        lines = [f"《{activity.title}》", _when_where(activity)]
        if event == "promoted":
            lines.insert(1, _("A place became free and is now yours."))
        if event in ("rejected", "removed") and signup.reason:
            lines.append(_("Reason: %(reason)s") % {"reason": signup.reason})
        title = str(_EVENT_TITLES[event])
    notify(
        user=signup.volunteer,
        title=title,
        body="\n".join(lines),
        link=reverse("activities:detail", args=[activity.pk]),
        sms=event in _SMS_EVENTS,
    )


def activity_registrants_notify(
    *, activity_id: int, event: str, changes: dict | str | None = None
) -> int:
    """Tell every live registrant that the activity changed (`changes`: the activity_plan()s
    before and after, or words from a job queued before plans) or was
    cancelled. Returns how many were told, each in their own language. Runs in a job after the
    activity's commit."""
    from django.urls import reverse

    from threehours.notifications.services import notify, recipient_language

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return 0
    signups = list(Signup.objects.filter(activity=activity).live().select_related("volunteer"))
    link = reverse("activities:detail", args=[activity.pk])
    with transaction.atomic():
        for signup in signups:
            with recipient_language(signup.volunteer):
                title, body = _activity_notice(activity, event, changes)
            notify(user=signup.volunteer, title=title, body=body, link=link, sms=True)
    return len(signups)


def _activity_notice(activity: Activity, event: str, changes: dict | str | None) -> tuple[str, str]:
    from threehours.activities.services import activity_changes_describe

    if isinstance(changes, dict):
        changes = activity_changes_describe(before=changes["before"], after=changes["after"])
    if event == "activity_taken_down":  # issue #16 §6
        return _("Activity taken down"), _(
            "《%(title)s》 was taken down by the platform. Reason: %(reason)s. Do not go unless "
            "you are told it is published again."
        ) % {"title": activity.title, "reason": activity.taken_down_reason}
    if event == "activity_restored":
        return _("Activity published again"), _(
            "《%(title)s》 is published again; your registration stands. %(when_where)s"
        ) % {"title": activity.title, "when_where": _when_where(activity)}
    if event == "activity_cancelled":
        return _("Activity cancelled"), _(
            "《%(title)s》 has been cancelled by the organiser. Reason: %(reason)s"
        ) % {"title": activity.title, "reason": activity.cancel_reason}
    body = _("《%(title)s》 has changed: %(changes)s\nNow: %(when_where)s") % {
        "title": activity.title,
        "changes": changes or "",
        "when_where": _when_where(activity),
    }
    return _("Activity changed"), body
