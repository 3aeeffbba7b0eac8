"""Personal data at rest: Fernet encryption with key rotation, and blind indexes."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from threehours.core.crypto import blind_index, decrypt_text, encrypt_text

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def old_key(settings):
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


def test_encrypt_then_decrypt_gives_the_value_back(old_key):
    for value in [ID_NUMBER, "张三", ""]:
        assert decrypt_text(encrypt_text(value)) == value


def test_ciphertext_hides_the_value_and_differs_each_time(old_key):
    first, second = encrypt_text(ID_NUMBER), encrypt_text(ID_NUMBER)

    assert ID_NUMBER not in first and "19491231" not in first
    assert first != second  # random IV: equal values do not give equal ciphertexts
    assert decrypt_text(first) == decrypt_text(second) == ID_NUMBER


def test_a_new_key_in_front_still_decrypts_old_values(settings, old_key):
    token = encrypt_text(ID_NUMBER)
    new_key = Fernet.generate_key().decode()

    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    assert decrypt_text(token) == ID_NUMBER
    fresh = encrypt_text(ID_NUMBER)  # the first key encrypts
    assert Fernet(new_key.encode()).decrypt(fresh.encode()).decode() == ID_NUMBER
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # once the old key is retired…
    assert decrypt_text(fresh) == ID_NUMBER
    with pytest.raises(ValueError, match="no configured key"):
        decrypt_text(token)  # …rows not yet re-encrypted cannot be read


def test_a_value_under_an_unknown_key_is_refused(settings, old_key):
    foreign = Fernet(Fernet.generate_key()).encrypt(ID_NUMBER.encode()).decode()

    with pytest.raises(ValueError, match="no configured key"):
        decrypt_text(foreign)
    with pytest.raises(ValueError):
        decrypt_text("not a token")


def test_blind_index_is_stable_per_value_and_purpose(old_key):
    index = blind_index(ID_NUMBER, purpose="id_number")

    assert index == blind_index(ID_NUMBER, purpose="id_number")
    assert index != blind_index("110105194912310021", purpose="id_number")
    assert index != blind_index(ID_NUMBER, purpose="phone")
    assert ID_NUMBER not in index and len(index) == 64


def test_blind_index_survives_putting_a_new_key_in_front(settings, old_key):
    index = blind_index(ID_NUMBER, purpose="id_number")

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]

    assert blind_index(ID_NUMBER, purpose="id_number") == index
