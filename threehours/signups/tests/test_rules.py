import datetime as dt

import pytest

from threehours.activities.models import Activity
from threehours.signups import rules
from threehours.signups.models import Signup

DEADLINE = dt.date(2026, 12, 5)


def _activity() -> Activity:
    return Activity(registration_deadline=DEADLINE, contact_name="王", contact_phone="13800000000")


@pytest.mark.parametrize(
    ("status", "today", "attended", "code"),
    [
        ("confirmed", DEADLINE, False, None),  # up to the deadline, included
        ("pending", DEADLINE, False, None),
        ("confirmed", DEADLINE + dt.timedelta(days=1), False, "cancellation_closed"),
        ("pending", DEADLINE + dt.timedelta(days=1), False, "cancellation_closed"),
        ("waiting", DEADLINE + dt.timedelta(days=1), False, None),  # the line can always be left
        ("confirmed", DEADLINE, True, "attended"),
    ],
)
def test_the_cancellation_rule(status, today, attended, code):
    signup, activity = Signup(status=status), _activity()
    refusal = rules.cancel_refusal(signup=signup, activity=activity, today=today, attended=attended)
    assert (refusal.code if refusal else None) == code
    assert rules.can_cancel(signup=signup, activity=activity, today=today, attended=attended) is (
        code is None
    )


@pytest.mark.parametrize("status", ["cancelled", "rejected", "removed"])
def test_only_a_live_registration_can_be_cancelled(status):
    assert not rules.can_cancel(
        signup=Signup(status=status), activity=_activity(), today=DEADLINE, attended=False
    )
