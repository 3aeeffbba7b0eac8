"""Registration services (docs/product.md §3): the only code that changes a Signup or an activity's
`places_taken`.

Capacity: a place is taken by a conditional UPDATE of the activity row
(`places_taken + seats <= places`) in the same transaction as the Signup row, so it holds on
PostgreSQL (the row lock makes concurrent updates re-check the condition) and on SQLite (the
IMMEDIATE transaction serialises writers); a CHECK constraint backs it up. Double registration is
refused by the partial unique constraint `signup_one_live_per_volunteer`.
Families (和孩子一起报名, docs/product.md §6): one registration holds 1 + children places, taken by
the same conditional UPDATE, so the whole family gets in or nobody does; its SignupChild rows
are written in the same transaction and are `live` exactly while the registration is, so
`signupchild_one_live_per_activity` refuses a child in two live registrations of an activity.
Freeing a place (cancel, reject, remove) locks the activity row first, so places handed to the
waiting list are handed out one transaction at a time, first come first served.
Reminders: confirmed registrants are reminded at 18:00 the evening before the first day, and,
for activities whose check-in is at 12:00 or later, again at 08:00 that morning (our choice for
issue 5 §6); once per registration, day and kind (`reminder_once_per_day_and_kind`).
"""

from __future__ import annotations

from .decisions import (
    signup_accept,
    signup_reject,
    signup_remove,
)
from .notify import (
    activity_registrants_notify,
    signup_notify,
)
from .phone import phone_reveal
from .registration import (
    MAX_ANSWER_LENGTH,
    answers_clean,
    registration_check,
    signup_cancel,
    signup_create,
    signups_cancel_for_closure,
)
from .reminders import (
    AFTERNOON_FROM,
    MORNING_REMINDER_HOUR,
    MORNING_REMINDER_UNTIL,
    REMINDER_HOUR,
    reminders_send_due,
)

__all__ = [
    "phone_reveal",
    "signup_notify",
    "activity_registrants_notify",
    "MAX_ANSWER_LENGTH",
    "answers_clean",
    "registration_check",
    "signup_create",
    "signups_cancel_for_closure",
    "signup_cancel",
    "signup_accept",
    "signup_reject",
    "signup_remove",
    "REMINDER_HOUR",
    "MORNING_REMINDER_HOUR",
    "MORNING_REMINDER_UNTIL",
    "AFTERNOON_FROM",
    "reminders_send_due",
]
