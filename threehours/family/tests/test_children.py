"""Adding children (issue #14 §1): the guide's age limits at their boundaries, the separate
consent, one family per ID number; nothing written when refused."""

from __future__ import annotations

import pytest

from threehours.accounts.errors import InvalidIdNumber
from threehours.accounts.models import User
from threehours.core.audit import AuditEntry
from threehours.core.errors import InvalidInput

from .. import errors, services
from ..models import Guardianship
from ..rules import CHILD_CONSENT_VERSION
from ..selectors import children_of
from .factories import guardian, id_number_born, years_ago

pytestmark = pytest.mark.django_db


def _add(parent, born, **kw):
    args = {"name": "李小明", "id_number": id_number_born(born), "consent": True, **kw}
    return services.child_add(guardian=parent, **args)


def test_a_guardian_adds_a_child_stored_like_an_adults_id():
    parent = guardian()
    number = id_number_born(years_ago(9))
    child = services.child_add(guardian=parent, name="李 小明", id_number=number, consent=True)
    child.refresh_from_db()
    assert child.guarded and child.phone is None and child.email is None
    assert not child.has_usable_password()
    assert child.real_name == "李 小明"
    assert number not in child.id_number_encrypted
    assert child.id_number_plain() == number
    assert child.id_number_masked == f"{number[:4]}**********{number[-4:]}"
    assert list(children_of(guardian=parent)) == [child]
    link = Guardianship.objects.get(child=child)
    assert link.guardian == parent and link.consent_version == CHILD_CONSENT_VERSION
    assert link.consented_at is not None
    assert AuditEntry.objects.filter(verb="family.child_added", target_id=str(child.pk)).exists()
    # The guardian's consent is also a Consent row (issue #16 §1).
    assert parent.consents.filter(kind="child", version=1, withdrawn_at=None).exists()


@pytest.mark.parametrize(("days", "allowed"), [(0, True), (1, False), (-1, True)])
def test_the_guardian_must_be_23_full_years_birthday_today_counts(days, allowed):
    # days=0: the 23rd birthday is today; days=1: it is tomorrow (still 22).
    parent = guardian(age=23)
    User.objects.filter(pk=parent.pk).update(birth_date=years_ago(23, days=days))
    parent.refresh_from_db()
    if allowed:
        assert _add(parent, years_ago(5)).guarded
    else:
        with pytest.raises(errors.GuardianTooYoung):
            _add(parent, years_ago(5))
        assert not User.objects.filter(guarded=True).exists()


def test_a_guardian_without_a_recorded_id_number_is_refused(volunteer):
    with pytest.raises(errors.GuardianTooYoung):
        _add(volunteer, years_ago(5))


@pytest.mark.parametrize(
    ("years", "days", "allowed"), [(17, -300, True), (18, 1, True), (18, 0, False), (18, -1, False)]
)
def test_the_child_must_be_17_or_younger_the_18th_birthday_is_too_old(years, days, allowed):
    parent = guardian()
    born = years_ago(years, days=days)
    if allowed:
        assert _add(parent, born).guarded
    else:
        with pytest.raises(errors.ChildTooOld) as caught:
            _add(parent, born)
        assert "id_number" in caught.value.fields
        assert not Guardianship.objects.exists()


def test_consent_is_required_and_nothing_is_written_without_it():
    parent = guardian()
    for value in (False, None, "yes"):
        with pytest.raises(errors.ConsentRequired):
            _add(parent, years_ago(6), consent=value)
    assert not User.objects.filter(guarded=True).exists()
    assert not parent.consents.filter(kind="child").exists()


def test_an_id_number_belongs_to_one_family_only():
    mother = guardian("13900000001")
    father = guardian("13900000002", name="王爸爸")
    number = id_number_born(years_ago(7))
    services.child_add(guardian=mother, name="王小宝", id_number=number, consent=True)
    with pytest.raises(errors.ChildAlreadyInFamily) as caught:
        services.child_add(guardian=father, name="王小宝", id_number=number.lower(), consent=True)
    assert caught.value.status == 409
    assert list(children_of(guardian=father)) == []
    # An adult's own ID number cannot be added as a child either.
    with pytest.raises((errors.ChildAlreadyInFamily, errors.ChildTooOld)):
        services.child_add(
            guardian=father, name="王妈妈", id_number=mother.id_number_plain(), consent=True
        )


def test_a_wrong_checksum_or_name_is_a_field_error():
    parent = guardian()
    number = id_number_born(years_ago(7))
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(InvalidIdNumber):
        services.child_add(guardian=parent, name="王小宝", id_number=wrong, consent=True)
    with pytest.raises(InvalidInput) as caught:
        services.child_add(guardian=parent, name="小7", id_number=number, consent=True)
    assert "name" in caught.value.fields
    assert not User.objects.filter(guarded=True).exists()
