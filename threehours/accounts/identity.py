"""Pure functions for Chinese mainland phone numbers and resident ID numbers (no database)."""

from __future__ import annotations

import datetime as dt
import re

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")

# GB 11643-1999: weights of the first 17 digits and the check character for sum mod 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Province-level codes (first two digits) of GB/T 2260, plus Taiwan, Hong Kong and Macao.
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def normalise_phone(raw: str) -> str:
    """Strip spaces, dashes and a +86/0086 prefix."""
    value = re.sub(r"[\s-]", "", raw or "")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return value


def is_valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"


def normalise_id_number(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def id_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_birth_date(id_number: str) -> dt.date:
    """Birth date encoded in positions 7–14. Raises ValueError when it is not a real date."""
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def is_valid_id_number(id_number: str, *, today: dt.date) -> bool:
    """An 18-character resident ID number: province code, real birth date, GB 11643 checksum."""
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return False
    if id_number[:2] not in _PROVINCES:
        return False
    try:
        born = id_birth_date(id_number)
    except ValueError:
        return False
    if born > today or born.year < 1900:
        return False
    return id_check_character(id_number[:17]) == id_number[17]


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years of age on `day` (a birthday counts on the day itself)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def mask_id_number(id_number: str) -> str:
    """`3101**********1234`: first four and last four characters."""
    return f"{id_number[:4]}{'*' * 10}{id_number[-4:]}" if len(id_number) == 18 else "****"


def mask_name(name: str) -> str:
    """A real name with its middle hidden, as Chinese service records print it: `张*`, `张*三`,
    `欧**锋`; a Latin name keeps its first and last letters (`J********h`)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def staff_name(user) -> str:
    """The name staff pages and exports show for `user`: the real name, else the nickname; a
    closed account is shown as "已注销用户" whatever is left in its columns (docs/privacy.md)."""
    if user.closed_at is not None:
        return user.display_name
    return user.real_name or user.display_name


def staff_phone(user) -> str:
    """The phone number as staff pages and exports show it: masked (138****0001); nothing for
    a closed account or one without a phone (docs/privacy.md)."""
    if user.closed_at is not None or not user.phone:
        return ""
    return mask_phone(user.phone)
