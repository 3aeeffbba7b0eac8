"""Children under a guardian: added with the guardian's separate consent (issue #14 §1)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.accounts.consent import consent_record
from threehours.accounts.errors import InvalidIdNumber
from threehours.accounts.identity import (
    id_birth_date,
    is_valid_id_number,
    mask_id_number,
    normalise_id_number,
)
from threehours.accounts.models import Consent, User
from threehours.core.audit import audit_record
from threehours.core.crypto import blind_index, encrypt_text
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today

from ..errors import ChildAlreadyInFamily, ChildTooOld, ConsentRequired, GuardianTooYoung
from ..models import Guardianship
from ..rules import CHILD_CONSENT_VERSION, child_age_ok, guardian_age_ok


def child_name_clean(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not 2 <= len(name) <= 30 or any(ch.isdigit() for ch in name):
        raise InvalidInput(fields={"name": [_("Enter the child's name as on the ID card.")]})
    return name


@transaction.atomic(durable=True)
def child_add(*, guardian: User, name: str, id_number: str, consent: bool) -> User:
    """Add a child under `guardian`, who gives the separate consent for the child's data.
    The child is a guarded User (no way to log in) holding its name and encrypted ID number.
    Raises GuardianTooYoung, InvalidInput, InvalidIdNumber, ChildTooOld, ConsentRequired,
    ChildAlreadyInFamily; nothing is written when it does."""
    today = local_today()
    if not guardian_age_ok(guardian.birth_date, today):
        raise GuardianTooYoung()
    clean_name = child_name_clean(name)
    number = normalise_id_number(id_number)
    if not is_valid_id_number(number, today=today):
        raise InvalidIdNumber(fields={"id_number": [str(InvalidIdNumber.default_message)]})
    born = id_birth_date(number)
    if not child_age_ok(born, today):
        raise ChildTooOld(fields={"id_number": [str(ChildTooOld.default_message)]})
    if consent is not True:
        raise ConsentRequired(fields={"consent": [str(ConsentRequired.default_message)]})
    index = blind_index(number, purpose="id_number")
    if User.objects.filter(id_number_index=index).exists():
        raise ChildAlreadyInFamily(
            fields={"id_number": [str(ChildAlreadyInFamily.default_message)]}
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            child = User.objects.create(
                guarded=True,
                real_name=clean_name,
                id_number_encrypted=encrypt_text(number),
                id_number_index=index,
                id_number_masked=mask_id_number(number),
                birth_date=born,
                real_name_verified_at=now,
                language=guardian.language,
            )
    except IntegrityError as exc:  # the same number added at the same moment elsewhere
        raise ChildAlreadyInFamily(
            fields={"id_number": [str(ChildAlreadyInFamily.default_message)]}
        ) from exc
    child.set_unusable_password()
    child.save(update_fields=["password"])
    Guardianship.objects.create(
        child=child,
        guardian=guardian,
        added_by=guardian,
        consent_version=CHILD_CONSENT_VERSION,
        consented_at=now,
    )
    # The guardian's consent is also on record as a Consent row (issue #16 §1).
    consent_record(user=guardian, kind=Consent.Kind.CHILD)
    audit_record(
        actor=guardian,
        verb="family.child_added",
        target=child,
        data={"consent_version": CHILD_CONSENT_VERSION},
    )
    return child
