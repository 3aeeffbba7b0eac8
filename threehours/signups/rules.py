"""Registration rules a page also shows, without the database (docs/style.md §8: one home per
rule)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from threehours.accounts.identity import age_on

from .errors import Attended, CancellationClosed, SignupError


def cancel_refusal(*, signup, activity, today: dt.date, attended: bool) -> SignupError | None:
    """Why the volunteer may not cancel this live registration now, or None (docs/product.md §3):
    a place is given back up to the registration deadline (the waiting list can always be
    left); an attended registration keeps its hours and cannot be cancelled (issue #12 §2)."""
    if attended:
        return Attended()
    if signup.holds_place and today > activity.registration_deadline:
        return CancellationClosed(
            deadline=activity.registration_deadline.isoformat(),
            contact=f"{activity.contact_name} {activity.contact_phone}",
        )
    return None


def can_cancel(*, signup, activity, today: dt.date, attended: bool) -> bool:
    """Whether the page offers "Cancel registration": what signup_cancel would accept."""
    return signup.is_live and (
        cancel_refusal(signup=signup, activity=activity, today=today, attended=attended) is None
    )


# 报名承诺 (docs/product.md §6): what a guardian accepts when registering children, unless the
# activity's organiser wrote their own (Activity.commitment).
DEFAULT_COMMITMENT = _(
    "I register my children myself and come with them. I stay with them for the whole "
    "activity and look after their safety; I make sure they are fit to take part, follow the "
    "organiser's and staff's instructions, and check them in and out with me. The information "
    "I gave about them is true."
)


def commitment_text(activity) -> str:
    """The commitment a guardian accepts for this activity: the organiser's, or the default."""
    return (activity.commitment or "").strip() or str(DEFAULT_COMMITMENT)


def child_age_on_first_day(*, born: dt.date, activity) -> int:
    """A child's age in full years on the activity's first day (the age range's measure)."""
    return age_on(born, activity.start_date)


def child_age_fits(*, age: int, activity) -> bool:
    """Whether a child of `age` (on the first day) is within the activity's age range."""
    low, high = activity.child_age_min, activity.child_age_max
    return (low is None or age >= low) and (high is None or age <= high)


def child_age_range_text(activity) -> str:
    """The activity's age range in words ("6–12", "from 6", "up to 12"), or ""."""
    low, high = activity.child_age_min, activity.child_age_max
    if low is not None and high is not None:
        return _("%(min)s–%(max)s") % {"min": low, "max": high}
    if low is not None:
        return _("%(min)s and older") % {"min": low}
    if high is not None:
        return _("up to %(max)s") % {"max": high}
    return ""
