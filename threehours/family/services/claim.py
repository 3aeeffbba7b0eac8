"""The hand-over at 18 (issue #14 §4, docs/product.md §6): a child kept by guardians takes over
the record with an own phone account.

Invariants guarded here:
- only the holder of a guarded record's ID number can claim it, and only from the 18th birthday
  on (family.rules.can_claim); an unknown number, an adult's number and a record already
  claimed get one and the same answer, so the page reveals nothing about who is on the platform;
- the record never moves: ledger entries are immutable and keep `volunteer=child`, so the
  child's row becomes the person's account (it gets the claiming account's phone, language and
  nickname, and stops being guarded). The claiming account must be empty and is deleted in the same
  transaction; when anything still points at it (PROTECT: registrations, attendance, hours...)
  the whole claim is refused and nothing changes;
- the guardians' links end (`Guardianship.ended_at`) but are kept: they read what happened
  before that moment, nothing after it;
- both rows are locked (primary-key order) before anything is checked, so two claims of one
  record, or a claim and a log-in of the same phone, cannot interleave.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from threehours.accounts.errors import InvalidIdNumber
from threehours.accounts.identity import is_valid_id_number, normalise_id_number
from threehours.accounts.models import User
from threehours.core.audit import audit_record
from threehours.core.crypto import blind_index
from threehours.core.db import lock_many
from threehours.core.timeutil import local_today
from threehours.notifications.services import message_later, notify

from ..errors import ClaimAccountHasRecords, ClaimNotFound, ClaimTooYoung
from ..models import GuardianInvitation, Guardianship
from ..rules import can_claim

# Guessing someone else's ID number must stay slow: five tries an hour per account, counted
# together by the page and the API (core.ratelimit, key "user").
CLAIM_RATE = "5/h"
CLAIM_RATE_GROUP = "family.claim"


def claim_account_is_empty(user: User) -> bool:
    """Whether `user` may be given up for a claimed record: a phone account with nothing
    recorded on it that deleting it would lose (no real name, no e-mail, no organisation, not
    an operator). Registrations, attendance and hours are refused by the database (PROTECT)
    when the account is deleted."""
    return bool(
        user.phone
        and not user.guarded
        and not user.email
        and not user.real_name
        and not user.id_number_index
        and not user.is_staff
        and not user.is_superuser
        and not user.memberships.exists()
    )


def _claimable_child(number: str) -> User:
    child = User.objects.filter(id_number_index=blind_index(number, purpose="id_number")).first()
    if child is None or not child.guarded:
        raise _not_found()
    return child


def _not_found() -> ClaimNotFound:
    return ClaimNotFound(fields={"id_number": [str(ClaimNotFound.default_message)]})


@transaction.atomic(durable=True)
def record_claim(*, user: User, id_number: str) -> User:
    """`user` (logged in with an own phone) proves the ID number of a record kept by guardians
    and takes it over: the claiming account is deleted and the child's row becomes the
    person's account (phone, language, no longer guarded); the guardians' links end and they
    are told. Returns the claimed account, which the caller logs in.
    Locks the claiming account and the child's row. Raises InvalidIdNumber (malformed number),
    ClaimAccountHasRecords, ClaimNotFound, ClaimTooYoung; nothing changes when it does."""
    today = local_today()
    number = normalise_id_number(id_number)
    if not is_valid_id_number(number, today=today):
        raise InvalidIdNumber(fields={"id_number": [str(InvalidIdNumber.default_message)]})
    if not claim_account_is_empty(user):
        raise ClaimAccountHasRecords()
    child = _claimable_child(number)
    rows = {row.pk: row for row in lock_many(User, pk__in=[user.pk, child.pk])}
    claimant, child = rows.get(user.pk), rows.get(child.pk)
    if claimant is None or not claim_account_is_empty(claimant):
        raise ClaimAccountHasRecords()
    if child is None or not child.guarded:  # claimed by someone else a moment ago
        raise _not_found()
    if not can_claim(child.birth_date, today):
        raise ClaimTooYoung(fields={"id_number": [str(ClaimTooYoung.default_message)]})

    old_id, phone, language, nickname = (
        claimant.pk,
        claimant.phone,
        claimant.language,
        claimant.nickname,
    )
    try:
        # Tokens, inbox and the summary row go with the account; anything PROTECTed (a
        # registration, an attendance, a ledger entry...) refuses the whole claim.
        claimant.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ClaimAccountHasRecords() from exc

    now = timezone.now()
    child.phone = phone
    child.phone_bound_at = now
    child.guarded = False
    if language:
        child.language = language
    if nickname and not child.nickname:
        child.nickname = nickname
    child.save(update_fields=["phone", "phone_bound_at", "guarded", "language", "nickname"])

    links = list(Guardianship.objects.current().filter(child=child).select_related("guardian"))
    Guardianship.objects.filter(pk__in=[link.pk for link in links]).update(ended_at=now)
    GuardianInvitation.objects.filter(child=child, status=GuardianInvitation.Status.PENDING).update(
        status=GuardianInvitation.Status.CANCELLED, answered_at=now
    )
    audit_record(
        actor=child,
        verb="family.record_claimed",
        target=child,
        data={
            "old_account_id": old_id,
            "guardian_ids": [link.guardian_id for link in links],
        },
    )
    for link in links:
        notify(
            user=link.guardian,
            title=_("A record was handed over"),
            body=message_later(
                _(
                    "%(name)s has turned 18 and took over their own volunteer record. You can "
                    "still read what happened before the hand-over."
                ),
                {"name": child.real_name},
            ),
            link=reverse("reporting:child-hours", args=[child.pk]),
        )
    return child
