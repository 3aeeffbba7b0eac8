"""Encryption of personal data at rest, and blind indexes for looking it up.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under the keys of
THREEHOURS_FIELD_ENCRYPTION_KEYS; the first key encrypts, all of them decrypt (key rotation).
A blind index is an HMAC of the normalised value, so uniqueness can be enforced without
storing the value in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def encrypt_text(value: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: no configured key matches") from exc


def blind_index(value: str, *, purpose: str) -> str:
    key = hashlib.sha256(f"{purpose}:{settings.FIELD_ENCRYPTION_KEYS[-1]}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def newest_key_decrypts(token: str) -> bool:
    """Whether `token` is already encrypted under the newest key (cheap: one HMAC check
    and one decryption, no re-encryption)."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate_text(token: str) -> str:
    """Re-encrypt `token` under the newest key (MultiFernet.rotate: any configured key
    decrypts, the first encrypts, the original timestamp is kept)."""
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: no configured key matches") from exc
