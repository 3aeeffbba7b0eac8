"""Revealing one volunteer's phone number to staff (issue #16 §5, docs/privacy.md).

Staff pages, the staff API and every export show phone numbers masked (138****0001). An
organisation's admin who must call someone reveals that one number; platform operators may
too. Each reveal is audited (`phone.revealed`, with the organisation) and counted against a
per-hour budget per staff member, read back from the audit log so it holds across processes.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.db import lock_one
from threehours.core.models import AuditEntry
from threehours.orgs.models import Membership, Organisation

from ..errors import PhoneNotFound, PhoneRevealForbidden, PhoneRevealLimited
from ..models import Signup

REVEAL_VERB = "phone.revealed"
REVEAL_WINDOW = dt.timedelta(hours=1)


def _is_admin(*, actor: User, organisation: Organisation) -> bool:
    return Membership.objects.filter(
        organisation=organisation, user=actor, role=Membership.Role.ADMIN
    ).exists()


def phone_reveal(*, actor: User, person: User, organisation: Organisation | None) -> str:
    """The full phone number of `person`, for `actor`, audited.

    With an organisation: `actor` must be its admin (PhoneRevealForbidden otherwise) and
    `person` must have a registration with one of its activities (PhoneNotFound otherwise, so
    ids reveal nothing). Without one: `actor` must be a platform operator. A closed account or
    one without a phone: PhoneNotFound. More than PHONE_REVEALS_PER_HOUR reveals by `actor` in
    the last hour: PhoneRevealLimited (with retry_after). Locks the actor's row so that two
    reveals at once cannot both pass the budget."""
    if organisation is None:
        if not actor.is_staff:
            raise PhoneRevealForbidden()
    else:
        if not _is_admin(actor=actor, organisation=organisation):
            raise PhoneRevealForbidden()
        if not Signup.objects.filter(
            volunteer=person, activity__organisation=organisation
        ).exists():
            raise PhoneNotFound()
    with transaction.atomic():
        lock_one(User, pk=actor.pk)
        # Read from the row, not the caller's copy: an account closed meanwhile has no phone.
        phone, closed_at = User.objects.filter(pk=person.pk).values_list(
            "phone", "closed_at"
        ).first() or (None, None)
        if closed_at is not None or not phone:
            raise PhoneNotFound()
        now = timezone.now()
        recent = list(
            AuditEntry.objects.filter(
                actor=actor, verb=REVEAL_VERB, created_at__gt=now - REVEAL_WINDOW
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)[: settings.PHONE_REVEALS_PER_HOUR]
        )
        if len(recent) >= settings.PHONE_REVEALS_PER_HOUR:
            retry = math.ceil((recent[0] + REVEAL_WINDOW - now).total_seconds())
            raise PhoneRevealLimited(retry_after=max(1, retry))
        audit_record(
            actor=actor,
            verb=REVEAL_VERB,
            target=person,
            data={
                "organisation_id": organisation.pk if organisation else None,
                "as": "operator" if organisation is None else "org_admin",
            },
        )
    return phone
