"""Check-in and check-out (docs/product.md §4, issue #6): the only code that writes Attendance, and
the only caller of hours.services.ledger_append for attendance.

Order of checks: registered → activity day and time window → proof of presence (rotating QR
token or the 4-digit code, wrong codes limited) → identity (pluggable, green channel after two
failures) → position within the radius (offline) → write. Every attempt, accepted or refused,
is recorded as an Attempt; a refused one in its own transaction, after the refusal rolled back.
One attendance per registration and day and one credit per attendance are database constraints.
On PostgreSQL a volunteer's own check-in or check-out at an offline activity writes in one
statement (_in_one_statement): a check-out updates the attendance only while it is still open
with the check-in time its hours were computed from, else the locked path answers.
"""

from __future__ import annotations

from .checkin import (
    attendance_check_in,
    attendance_check_out,
    attendance_staff_check,
)
from .children import (
    child_photos_expire,
    children_checkin,
    children_checkout,
)
from .corrections import (
    attendance_correct,
    attended_day_check,
    correction_approve,
    correction_reject,
    moment_parse,
    no_show_mark,
    time_parse,
)
from .daycode import (
    GUESS_WINDOW,
    DoorCode,
    code_current,
    door_code_build,
)
from .pending import (
    pending_credit_cosign,
    pending_credit_respond,
    pending_credits_create_due,
    pending_credits_expire,
)
from .proof import (
    ACCURACY_MAX_M,
    Proof,
)

__all__ = [
    "child_photos_expire",
    "children_checkin",
    "children_checkout",
    "DoorCode",
    "door_code_build",
    "GUESS_WINDOW",
    "code_current",
    "ACCURACY_MAX_M",
    "Proof",
    "attendance_check_in",
    "attendance_check_out",
    "attendance_staff_check",
    "attended_day_check",
    "attendance_correct",
    "correction_approve",
    "correction_reject",
    "no_show_mark",
    "time_parse",
    "moment_parse",
    "pending_credits_create_due",
    "pending_credit_respond",
    "pending_credit_cosign",
    "pending_credits_expire",
]
