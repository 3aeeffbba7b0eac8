"""Registration rules a page also shows, without the database (STYLE.md §8: one home per rule)."""

from __future__ import annotations

import datetime as dt

from .errors import Attended, CancellationClosed, SignupError


def cancel_refusal(*, signup, activity, today: dt.date, attended: bool) -> SignupError | None:
    """Why the volunteer may not cancel this live registration now, or None (PRODUCT.md §3):
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
