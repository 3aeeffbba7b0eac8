"""Two account rules not covered in test_services.py."""

import pytest
from django.utils import timezone

from threehours.accounts import errors, services
from threehours.accounts.models import User
from threehours.core.errors import InvalidInput

pytestmark = pytest.mark.django_db


def test_a_disabled_account_cannot_log_in(test_phones):
    User.objects.create(phone="13800000001", is_active=False, phone_bound_at=timezone.now())
    with pytest.raises(errors.AccountInactive):
        services.phone_login(agree=True, phone="13800000001", code="123456")


def test_a_real_name_with_digits_is_refused(volunteer):
    with pytest.raises(InvalidInput) as caught:
        services.real_name_set(
            user=volunteer, real_name="张3", id_number="11010519491231002X", consent=True
        )
    assert "real_name" in caught.value.fields
    volunteer.refresh_from_db()
    assert volunteer.real_name == ""
