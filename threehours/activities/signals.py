"""What activities tells the floors above it, without knowing them
(docs/decisions/0010-floors.md)."""

from django.dispatch import Signal

# Sent inside the transaction of a service that changed what registrants plan their day around
# (`event` "activity_changed", `changes` {"before": plan, "after": plan} of activity_plan()) or
# cancelled a published activity (`event` "activity_cancelled", `changes` None), with
# `activity`. Issue #16: also "activity_taken_down" and "activity_restored" (`changes` None)
# when an operator takes a published activity down or restores it. signups tells the
# activity's registrants after commit.
activity_changed_for_registrants = Signal()
