"""A volunteer's real name and ID number (stored encrypted, unique by blind index)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from threehours.core.audit import audit_record
from threehours.core.crypto import blind_index, encrypt_text
from threehours.core.errors import InvalidInput
from threehours.core.timeutil import local_today

from ..consent import consent_require
from ..errors import (
    IdNumberTaken,
    InvalidIdNumber,
)
from ..identity import (
    id_birth_date,
    is_valid_id_number,
    mask_id_number,
    normalise_id_number,
)
from ..models import Consent, User

# --- real name --------------------------------------------------------------------------------


def _real_name_clean(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not 2 <= len(name) <= 30 or any(ch.isdigit() for ch in name):
        raise InvalidInput(fields={"real_name": [_("Enter your name as on your ID card.")]})
    return name


@transaction.atomic(durable=True)
def real_name_set(
    *, user: User, real_name: str, id_number: str, consent: bool = False, ip: str | None = None
) -> User:
    """Record the user's real name and resident ID number (encrypted; masked for display).
    The ID number is sensitive personal information (PIPL Art. 29): the separate consent
    `id_number` must be given with the request (`consent`, recorded in this transaction) or
    before. Raises ConsentRequired, InvalidInput, InvalidIdNumber, IdNumberTaken."""
    consent_require(user=user, kind=Consent.Kind.ID_NUMBER, given=consent, ip=ip)
    name = _real_name_clean(real_name)
    number = normalise_id_number(id_number)
    if not is_valid_id_number(number, today=local_today()):
        raise InvalidIdNumber(fields={"id_number": [str(InvalidIdNumber.default_message)]})
    index = blind_index(number, purpose="id_number")
    locked = User.objects.select_for_update().get(pk=user.pk)
    if User.objects.filter(id_number_index=index).exclude(pk=user.pk).exists():
        raise IdNumberTaken(fields={"id_number": [str(IdNumberTaken.default_message)]})
    locked.real_name = name
    locked.id_number_encrypted = encrypt_text(number)
    locked.id_number_index = index
    locked.id_number_masked = mask_id_number(number)
    locked.birth_date = id_birth_date(number)
    locked.real_name_verified_at = timezone.now()
    fields = [
        "real_name",
        "id_number_encrypted",
        "id_number_index",
        "id_number_masked",
        "birth_date",
        "real_name_verified_at",
    ]
    try:
        with transaction.atomic():
            locked.save(update_fields=fields)
    except IntegrityError as exc:
        raise IdNumberTaken(fields={"id_number": [str(IdNumberTaken.default_message)]}) from exc
    audit_record(actor=user, verb="account.real_name_set", target=locked)
    for field in fields:
        setattr(user, field, getattr(locked, field))
    return user
