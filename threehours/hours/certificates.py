"""Certificates (公益证书, issue #15 §3–4): serials, and revocation when the hours a certificate
certified change. Issuing (the PDF) lives beside this module; the public verification reads
hours.selectors."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from threehours.notifications.services import message_later, notify

from .models import Certificate

# Crockford's base32 without I, L, O, U: easy to read aloud and to type from paper.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_GROUPS = 4  # 4 groups of 4 characters: 80 random bits


def serial_new() -> str:
    """A random, unguessable serial such as `3H-7K2M-Q9TX-0BVR-HC4N` (80 bits from `secrets`)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(4 * SERIAL_GROUPS))
    return "3H-" + "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def certificates_revoke_covering(*, volunteer_id: int, organisation_id: int, day: dt.date) -> int:
    """Revoke every valid certificate of `volunteer_id` whose period holds `day` and that
    covers `organisation_id` (all organisations, or that one): a ledger entry for that day
    changed the hours it certified. Runs in the caller's transaction (the ledger entry's);
    the holder (or the guardian who asked for it) is told after commit. Returns the count."""
    covering = Certificate.objects.filter(
        holder_id=volunteer_id,
        state=Certificate.State.VALID,
        date_from__lte=day,
        date_to__gte=day,
    ).filter(Q(organisation__isnull=True) | Q(organisation_id=organisation_id))
    revoked = list(covering.select_related("issued_to", "holder"))
    if not revoked:
        return 0
    now = timezone.now()
    Certificate.objects.filter(
        pk__in=[c.pk for c in revoked], state=Certificate.State.VALID
    ).update(
        state=Certificate.State.REVOKED,
        revoked_reason=Certificate.RevokedReason.CORRECTION,
        revoked_at=now,
    )
    for certificate in revoked:
        transaction.on_commit(lambda c=certificate: _tell_revoked(c))
    return len(revoked)


def _tell_revoked(certificate: Certificate) -> None:
    notify(
        user=certificate.issued_to,
        title=_("A certificate was revoked"),
        body=message_later(
            _(
                "Certificate %(serial)s no longer matches the hours it certified: they were "
                "corrected after it was issued. It now shows as revoked when checked. You can "
                "issue a new one under 我的公益时 → 公益证书."
            ),
            {"serial": certificate.serial},
        ),
        link=reverse("hours:certificates"),
    )
