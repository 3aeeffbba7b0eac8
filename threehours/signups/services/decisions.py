"""Staff decisions on a registration: accept, reject, remove."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.errors import InvalidInput
from threehours.core.qrscan import has_payment_link

from ..errors import (
    Attended,
    SignupWrongState,
)
from ..models import Signup
from .notify import _notify
from .registration import _activity_lock, _free_places_and_promote, children_release


def _decide(
    *, signup: Signup, staff: User, allowed: tuple[str, ...], new_status: str, reason: str
) -> Signup:
    with transaction.atomic(durable=True):
        activity = _activity_lock(signup.activity_id)
        signup = lock_one(Signup, pk=signup.pk)
        if signup.status not in allowed:
            raise SignupWrongState(status=signup.get_status_display())
        if signup.attendances.exists():
            raise Attended()  # staff correct the hours instead (issue #12 §2)
        held = signup.holds_place
        signup.status = new_status
        signup.reason = reason
        signup.decided_by = staff
        signup.decided_at = timezone.now()
        signup.save(update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"])
        if not signup.is_live:
            children_release(signup)
        if held and not signup.holds_place:
            _free_places_and_promote(activity=activity, seats=signup.seats)
        audit_record(
            actor=staff, verb=f"signup.{new_status}", target=signup, data={"reason": reason}
        )
        _notify(signup, new_status)
    return signup


def _reason_clean(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            fields={"reason": [_("Please give a reason; the volunteer will see it.")]}
        )
    if len(reason) > 500:
        raise InvalidInput(fields={"reason": [_("At most %(max)s characters.") % {"max": 500}]})
    if has_payment_link(reason):  # the volunteer reads it (docs/product.md §2, issue #12)
        raise InvalidInput(fields={"reason": [_("Payment links cannot be put on the platform.")]})
    return reason


def signup_accept(*, signup: Signup, staff: User) -> Signup:
    """Accept a registration awaiting review. Raises SignupWrongState."""
    return _decide(
        signup=signup,
        staff=staff,
        allowed=(Signup.Status.PENDING,),
        new_status=Signup.Status.CONFIRMED,
        reason="",
    )


def signup_reject(*, signup: Signup, staff: User, reason: str) -> Signup:
    """Turn down a registration awaiting review or waiting for a place (reason required); a held
    place goes to the waiting list. Raises InvalidInput, SignupWrongState."""
    return _decide(
        signup=signup,
        staff=staff,
        allowed=(Signup.Status.PENDING, Signup.Status.WAITING),
        new_status=Signup.Status.REJECTED,
        reason=_reason_clean(reason),
    )


def signup_remove(*, signup: Signup, staff: User, reason: str) -> Signup:
    """Remove a confirmed registrant (reason required); the place goes to the waiting list.
    Raises InvalidInput, SignupWrongState, Attended."""
    return _decide(
        signup=signup,
        staff=staff,
        allowed=(Signup.Status.CONFIRMED,),
        new_status=Signup.Status.REMOVED,
        reason=_reason_clean(reason),
    )
