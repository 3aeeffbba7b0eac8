"""What orgs tells the floors above it, without knowing them (docs/decisions/0010-floors.md)."""

from django.dispatch import Signal

# Sent inside the transaction that renamed an organisation, with `org` (already saved under
# its new name). Receivers that keep a copy of the name (activities' search text) refresh it
# in the same transaction.
organisation_renamed = Signal()
