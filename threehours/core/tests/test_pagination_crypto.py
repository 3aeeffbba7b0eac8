import pytest
from cryptography.fernet import Fernet
from django.db import transaction

from threehours.core.crypto import blind_index, decrypt_text, encrypt_text
from threehours.core.db import LockOutsideTransaction, lock_many, lock_one
from threehours.core.errors import InvalidInput
from threehours.core.pagination import keyset_page
from threehours.notifications.models import Message


def test_encryption_round_trip_and_key_rotation(settings):
    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = encrypt_text("11010519491231002X")
    assert "11010519491231002X" not in token
    assert token != encrypt_text("11010519491231002X")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert decrypt_text(token) == "11010519491231002X"
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError):
        decrypt_text(token)


def test_blind_index_is_stable_and_purpose_bound():
    assert blind_index("a", purpose="id") == blind_index("a", purpose="id")
    assert blind_index("a", purpose="id") != blind_index("a", purpose="other")


@pytest.mark.django_db(transaction=True)
def test_locks_refuse_to_run_outside_a_transaction(volunteer):
    with pytest.raises(LockOutsideTransaction):
        lock_one(type(volunteer), pk=volunteer.pk)
    with transaction.atomic():
        assert lock_one(type(volunteer), pk=volunteer.pk) == volunteer
        assert lock_many(type(volunteer), pk__in=[volunteer.pk]) == [volunteer]


@pytest.mark.django_db
def test_keyset_pages_cover_everything_once(volunteer):
    for i in range(7):
        Message.objects.create(recipient=volunteer, title=str(i))
    seen, cursor = [], None
    while True:
        page = keyset_page(
            Message.objects.all(),
            order=("-created_at", "-pk"),
            limit=3,
            cursor=cursor,
            parsers={"created_at": __import__("datetime").datetime.fromisoformat},
        )
        seen += [m.title for m in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == [str(i) for i in range(7)] and len(seen) == 7
    with pytest.raises(InvalidInput):
        keyset_page(Message.objects.all(), order=("-pk",), limit=0, cursor=None)
