"""Family services (docs/style.md: domain logic here, explicit transactions)."""

from .children import child_add
from .guardians import (
    guardian_invitation_accept,
    guardian_invitation_cancel,
    guardian_invitation_decline,
    guardian_invite,
)
from .portrait import child_portrait_remove, child_portrait_set
from .removal import child_remove

__all__ = [
    "child_add",
    "child_portrait_remove",
    "child_portrait_set",
    "child_remove",
    "guardian_invitation_accept",
    "guardian_invitation_cancel",
    "guardian_invitation_decline",
    "guardian_invite",
]
