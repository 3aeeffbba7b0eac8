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
    days = (
        activity.start_date.isoformat()
        if activity.start_date == activity.end_date
        else f"{activity.start_date.isoformat()} – {activity.end_date.isoformat()}"
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
    SMS for the events that change whether they should come. Call inside the transaction."""
    from django.urls import reverse

    from threehours.notifications.services import notify

    activity = signup.activity
    lines = [f"《{activity.title}》", _when_where(activity)]
    if event == "promoted":
        lines.insert(1, _("A place became free and is now yours."))
    if event in ("rejected", "removed") and signup.reason:
        lines.append(_("Reason: %(reason)s") % {"reason": signup.reason})
    notify(
        user=signup.volunteer,
        title=str(_EVENT_TITLES[event]),
        body="\n".join(lines),
        link=reverse("activities:detail", args=[activity.pk]),
        sms=event in _SMS_EVENTS,
    )


def activity_registrants_notify(*, activity_id: int, event: str, changes: str = "") -> int:
    """Tell every live registrant that the activity changed (`changes` describes what) or was
    cancelled. Returns how many were told. Runs in a job after the activity's commit."""
    from django.urls import reverse

    from threehours.notifications.services import notify

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return 0
    signups = list(Signup.objects.filter(activity=activity).live().select_related("volunteer"))
    if event == "activity_cancelled":
        title = _("Activity cancelled")
        body = _("《%(title)s》 has been cancelled by the organiser. Reason: %(reason)s") % {
            "title": activity.title,
            "reason": activity.cancel_reason,
        }
    else:
        title = _("Activity changed")
        body = _("《%(title)s》 has changed: %(changes)s\nNow: %(when_where)s") % {
            "title": activity.title,
            "changes": changes,
            "when_where": _when_where(activity),
        }
    link = reverse("activities:detail", args=[activity.pk])
    with transaction.atomic():
        for signup in signups:
            notify(user=signup.volunteer, title=title, body=body, link=link, sms=True)
    return len(signups)
