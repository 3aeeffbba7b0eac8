"""rotate_field_keys re-encrypts every ID number under the newest key, in resumable batches
(issue #17 §5)."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet, MultiFernet
from django.core.management import call_command
from django.core.management.base import CommandError

from threehours.accounts.models import User
from threehours.accounts.services.real_name import real_name_set
from threehours.core.crypto import blind_index
from threehours.family.tests.factories import id_number_born
from threehours.signups.tests.factories import volunteers

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


@pytest.fixture
def recorded(settings):
    """Five volunteers whose ID numbers were written under key A alone."""
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    numbers = {}
    for i, person in enumerate(volunteers(5)):
        number = id_number_born(dt.date(1990, 1, 1 + i), serial=100 + i)
        real_name_set(user=person, real_name="张三", id_number=number, consent=True)
        numbers[person.pk] = number
    return numbers


def _only_b_reads_all(numbers):
    fernet_b = Fernet(KEY_B)
    for pk, number in numbers.items():
        token = User.objects.get(pk=pk).id_number_encrypted
        assert fernet_b.decrypt(token.encode()).decode() == number


def test_rotation_puts_every_value_under_the_newest_key(recorded, settings, capsys):
    index_before = dict(User.objects.filter(pk__in=recorded).values_list("pk", "id_number_index"))
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_field_keys", batch_size=2)
    assert "re-encrypted 5" in capsys.readouterr().out
    _only_b_reads_all(recorded)
    # Key B alone is enough to read them now.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    for pk, number in recorded.items():
        assert User.objects.get(pk=pk).id_number_plain() == number
    # The blind index did not change (keyed by the last key, still A in the rotated list).
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    index_after = dict(User.objects.filter(pk__in=recorded).values_list("pk", "id_number_index"))
    assert index_after == index_before
    for pk, number in recorded.items():
        assert index_after[pk] == blind_index(number, purpose="id_number")


def test_a_second_run_changes_nothing(recorded, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_field_keys")
    tokens = list(User.objects.order_by("pk").values_list("id_number_encrypted", flat=True))
    capsys.readouterr()
    call_command("rotate_field_keys")
    assert "re-encrypted 0, 5 already under the newest key" in capsys.readouterr().out
    assert list(User.objects.order_by("pk").values_list("id_number_encrypted", flat=True)) == tokens


def test_an_interrupted_run_resumes_and_finishes(recorded, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    call_command("rotate_field_keys", batch_size=1, max_batches=2)
    assert "re-encrypted 2, 0 already" in capsys.readouterr().out
    stale = [
        t
        for t in User.objects.exclude(id_number_encrypted="").values_list(
            "id_number_encrypted", flat=True
        )
        if not _decrypts(KEY_B, t)
    ]
    assert len(stale) == 3
    call_command("rotate_field_keys", batch_size=1)
    assert "re-encrypted 3, 2 already" in capsys.readouterr().out
    _only_b_reads_all(recorded)


def test_a_dry_run_writes_nothing(recorded, settings, capsys):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    before = list(User.objects.order_by("pk").values_list("id_number_encrypted", flat=True))
    call_command("rotate_field_keys", dry_run=True)
    assert "would re-encrypt 5" in capsys.readouterr().out
    assert list(User.objects.order_by("pk").values_list("id_number_encrypted", flat=True)) == before


def test_a_value_no_key_reads_stops_the_run(recorded, settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # key A lost
    with pytest.raises(CommandError, match="cannot be decrypted by any configured key"):
        call_command("rotate_field_keys")


def _decrypts(key, token):
    try:
        MultiFernet([Fernet(key)]).decrypt(token.encode())
    except Exception:
        return False
    return True
