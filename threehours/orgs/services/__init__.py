"""Organisation services: application, qualification files, review, certificate validity,
staff and roles, suspension.

Invariants guarded here:
- an application moves draft → submitted → approved | rejected → (edited) → submitted …; only
  draft and rejected applications can be edited or have files added/removed; every transition
  locks the organisation row, is audited (who, from, to, reason) and notifies the applicant;
- submission needs every field and the category's qualification file (docs/product.md §1.3);
- a rejection, a suspension and a reinstatement need a reason (also a database constraint);
- the texts the public sees (name, address, contact, introduction) hold no payment links
  (docs/product.md §2; core.qrscan, issue #12);
- an approved organisation's applicant becomes its admin; an organisation always keeps at least
  one admin; only admins manage staff;
- certificate warnings go out once per certificate date and threshold (unique constraint); a
  renewed certificate takes effect only when an operator accepts it.
"""

from __future__ import annotations

from .application import (
    FIELDS,
    FILE_MAX_BYTES,
    MAX_FILES,
    REQUIRED_FILE,
    org_application_create,
    org_application_update,
    org_file_add,
    org_file_delete,
    org_submit,
)
from .certificate import (
    WARN_DAYS,
    certificate_expiry_check,
    renewal_accept,
    renewal_reject,
    renewal_submit,
)
from .common import (
    EDITABLE_STATES,
    Category,
    Kind,
    State,
    role_of,
)
from .review import (
    org_approve,
    org_places_limit_set,
    org_reinstate,
    org_reject,
    org_suspend,
)
from .staff import (
    INVITATION_DAYS,
    invitation_accept,
    invitation_get,
    invitation_revoke,
    staff_invite,
    staff_remove,
    staff_role_set,
)

__all__ = [
    "State",
    "Category",
    "Kind",
    "EDITABLE_STATES",
    "role_of",
    "REQUIRED_FILE",
    "MAX_FILES",
    "FILE_MAX_BYTES",
    "FIELDS",
    "org_application_create",
    "org_application_update",
    "org_file_add",
    "org_file_delete",
    "org_submit",
    "org_approve",
    "org_reject",
    "org_suspend",
    "org_reinstate",
    "org_places_limit_set",
    "WARN_DAYS",
    "renewal_submit",
    "renewal_accept",
    "renewal_reject",
    "certificate_expiry_check",
    "INVITATION_DAYS",
    "staff_invite",
    "invitation_get",
    "invitation_accept",
    "invitation_revoke",
    "staff_remove",
    "staff_role_set",
]
