"""Pure checks for organisation data (no database)."""

from __future__ import annotations

import re

# GB 32100-2015: 18 characters from this alphabet (no I, O, Z, S, V); the last is a check
# character computed from the first 17 with these weights, modulo 31.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def credit_code_check_character(first17: str) -> str:
    total = sum(
        _CREDIT_ALPHABET.index(ch) * weight
        for ch, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def is_valid_credit_code(code: str) -> bool:
    code = (code or "").strip().upper()
    if len(code) != 18 or any(ch not in _CREDIT_ALPHABET for ch in code):
        return False
    if not code[2:8].isdigit():  # the registering authority's administrative-division code
        return False
    return credit_code_check_character(code[:17]) == code[17]
