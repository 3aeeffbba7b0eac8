"""Real name and resident ID number: validated, encrypted at rest, masked, one per account."""

import datetime as dt
import re

import pytest
from django.db import connection

from threehours.accounts import errors, services
from threehours.accounts.models import User

pytestmark = pytest.mark.django_db
ID = "11010519491231002X"


def _raw_row(user) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        return " ".join(str(value) for value in cursor.fetchone())


def test_id_number_is_stored_encrypted_and_shown_masked(volunteer):
    services.real_name_set(user=volunteer, real_name="张三", id_number=ID.lower())
    volunteer.refresh_from_db()
    assert ID not in _raw_row(volunteer)
    assert ID.lower() not in _raw_row(volunteer)
    assert volunteer.id_number_plain() == ID
    assert volunteer.id_number_masked == "1101**********002X"
    assert volunteer.birth_date == dt.date(1949, 12, 31)
    assert volunteer.real_name_verified


def test_invalid_checksum_is_refused_and_nothing_is_written(volunteer):
    with pytest.raises(errors.InvalidIdNumber) as caught:
        services.real_name_set(user=volunteer, real_name="张三", id_number="110105194912310021")
    assert "id_number" in caught.value.fields
    volunteer.refresh_from_db()
    assert volunteer.real_name == "" and volunteer.id_number_encrypted == ""


def test_one_id_number_per_account(volunteer, outsider):
    services.real_name_set(user=volunteer, real_name="张三", id_number=ID)
    with pytest.raises(errors.IdNumberTaken):
        services.real_name_set(user=outsider, real_name="李四", id_number=ID)
    outsider.refresh_from_db()
    assert outsider.id_number_encrypted == ""


def test_a_name_with_digits_is_refused(volunteer):
    from threehours.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.real_name_set(user=volunteer, real_name="张3", id_number=ID)


def _last_code(sms_outbox) -> str:
    return re.search(r"\d{6}", sms_outbox[-1]["text"]).group(0)


def test_phone_binding_for_an_email_account(
    email_user, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.phone_bind_send(user=email_user, phone="13700000001", ip=None)
    code = _last_code(sms_outbox)
    with pytest.raises(errors.BadSmsCode):
        services.phone_bind(
            user=email_user, phone="13700000001", code="000001" if code != "000001" else "000002"
        )
    services.phone_bind(user=email_user, phone="13700000001", code=code)
    email_user.refresh_from_db()
    assert email_user.phone == "13700000001"
    with pytest.raises(errors.PhoneAlreadyBound):
        services.phone_bind_send(user=email_user, phone="13700000002", ip=None)


def test_a_phone_of_another_account_cannot_be_bound(email_user, volunteer):
    with pytest.raises(errors.PhoneTaken):
        services.phone_bind_send(user=email_user, phone=volunteer.phone, ip=None)
    with pytest.raises(errors.PhoneTaken):
        services.phone_bind(user=email_user, phone=volunteer.phone, code="123456")


def test_a_login_code_is_not_a_binding_code(
    email_user, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_code_send(phone="13700000003", purpose="login", ip=None)
    with pytest.raises(errors.SmsCodeExpired):
        services.phone_bind(user=email_user, phone="13700000003", code=_last_code(sms_outbox))
    assert User.objects.get(pk=email_user.pk).phone is None
